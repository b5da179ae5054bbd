"""IBM Quantum Platform calibration CSV files: real files of four vintages (tests/data/ibm_csv/,
sources in its README) read into Calibrations whose numbers are the file's, on the structure
of a configuration of the same device; every malformed cell named by file, row and column."""

from __future__ import annotations

import csv
import io
import math
import warnings
from datetime import datetime, timezone
from pathlib import Path

import pytest
import qiskit_ibm_runtime
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from qiskit import QuantumCircuit, transpile

import qtargets
from qtargets import CalibrationError, QTargetsWarning, UnknownBackendError, vendors
from qtargets.ibm import read_calibration_csv
from qtargets.ibm.csvfile import looks_like_calibration_csv, parse_file_name

DATA = Path(__file__).parent / "data" / "ibm_csv"
FEZ = DATA / "ibm_fez_calibrations_2026-01-30T12_25_55Z.csv"
SHERBROOKE = DATA / "ibm_sherbrooke_calibrations_2024-09-12T05_28_56Z.csv"
AACHEN = DATA / "ibm_aachen_calibrations_2025-06-19T09_34_49Z.csv"
KINGSTON = DATA / "ibm_kingston_calibrations_2025-07-02T15_30_16Z.csv"
PERTH = DATA / "ibm_perth_calibrations.csv"
FAKES = Path(qiskit_ibm_runtime.__file__).parent / "fake_provider" / "backends"


def configuration(device: str) -> bytes:
    """The device's /configuration body, from qiskit-ibm-runtime's snapshots."""
    return (FAKES / device / f"conf_{device}.json").read_bytes()


PERTH_CONFIGURATION = configuration("perth")


def gate(cal: qtargets.Calibration, name: str, qubits: tuple[int, ...]
         ) -> qtargets.GateCalibration:
    (found,) = [g for g in cal.instruction(name).qargs or () if g.qubits == qubits]
    return found


def read_perth(path: Path = PERTH, **options: object) -> qtargets.Calibration:
    with pytest.warns(QTargetsWarning, match="taken_at is unknown"):
        return read_calibration_csv(path, configuration=configuration("perth"), **options)


def perth_copy(tmp_path: Path, old: str, new: str, *, name: str = PERTH.name) -> Path:
    """The real perth file with one edit, to make it malformed."""
    text = PERTH.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / name
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


# -- real files ----------------------------------------------------------------------------------


def test_newest_heron_file_takes_every_number_from_the_file() -> None:
    cal = read_calibration_csv(FEZ)  # structure: the bundled ibm_fez
    assert cal.backend_name == "ibm_fez"
    assert cal.processor == "Heron r2"
    assert cal.taken_at == datetime(2026, 1, 30, 12, 25, 55, tzinfo=timezone.utc)
    q0 = cal.qubits[0]
    assert q0.t1 == pytest.approx(55.53970848851125e-6)
    assert q0.t2 == pytest.approx(48.80779042628282e-6)
    assert q0.readout_error == 0.0400390625
    assert q0.prob_meas0_prep1 == 0.07568359375
    assert q0.readout_duration == pytest.approx(1560e-9)
    assert q0.frequency is None  # no frequency column since 2025
    assert all(q.operational for q in cal.qubits)  # "Yes"
    cz = gate(cal, "cz", (0, 1))
    assert cz.error == 0.031131683513298536
    assert cz.duration == pytest.approx(68e-9)
    assert gate(cal, "sx", (1,)).duration == pytest.approx(24e-9)  # single-qubit length
    assert gate(cal, "id", (72,)).error is None  # an empty cell: unknown
    assert gate(cal, "cz", (72, 73)).error is None  # time given, error cell empty
    assert gate(cal, "measure", (0,)).error == 0.0400390625
    assert "ibm_fez_calibrations_2026-01-30T12_25_55Z.csv" in cal.provenance.source


def test_eagle_file_with_quoted_cells_and_trailing_spaces() -> None:
    cal = read_calibration_csv(SHERBROOKE)
    assert cal.processor == "Eagle r3"
    q0 = cal.qubits[0]
    assert q0.frequency == pytest.approx(4.635662846425661e9)
    assert q0.anharmonicity == pytest.approx(-0.3132760394092362e9)
    assert q0.readout_error == 0.0030999999999999917
    ecr = gate(cal, "ecr", (1, 2))
    assert ecr.error == 0.014094602737029394
    assert ecr.duration == pytest.approx(533.3333333333333e-9)
    assert gate(cal, "ecr", (17, 30)).duration == pytest.approx(590.2222222222222e-9)
    assert gate(cal, "x", (0,)).error == 0.0001014625740645243
    assert gate(cal, "x", (0,)).duration is None  # no single-qubit length column in 2024


def test_file_with_rzz_column_on_a_configuration_without_rzz() -> None:
    # fractional gates are in every file and in a configuration only in that mode: left
    # out quietly, as qtargets.ibm.to_calibration leaves their properties out
    cal = read_calibration_csv(AACHEN, configuration=configuration("aachen"))
    assert "rzz" not in cal.instruction_names
    assert gate(cal, "cz", (0, 1)).error == qtargets.model.UNCALIBRATED_ERROR  # "0_1:1"
    assert gate(cal, "cz", (3, 16)).error == 0.0016028767869636362
    assert cal.qubits[1].readout_error == 0.425048828125


def test_2025_file_lists_pairs_by_the_other_qubit_only() -> None:
    cal = read_calibration_csv(KINGSTON, configuration=configuration("kingston"))
    cz = gate(cal, "cz", (0, 1))  # row 0: "1:0.0009595734321415916"
    assert cz.error == 0.0009595734321415916
    assert cz.duration == pytest.approx(68e-9)
    assert gate(cal, "x", (0,)).duration == pytest.approx(32e-9)
    assert cal.qubits[0].t1 == pytest.approx(346.2494385084324e-6)


def test_a_measure_2_column_goes_to_measure_2_without_a_gate_length(tmp_path: Path) -> None:
    # MEASURE_2 is in the column lists of 2026 readers; no fixture has it, so this copy of a
    # real file gets one, holding the file's own readout errors
    rows = list(csv.reader(io.StringIO(KINGSTON.read_text(encoding="utf-8"), newline="")))
    readout = rows[0].index("Readout assignment error")
    for row in rows:
        row.append("MEASURE_2 error" if row is rows[0] else row[readout])
    path = tmp_path / KINGSTON.name
    with path.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out).writerows(rows)
    cal = read_calibration_csv(path, configuration=configuration("kingston"))
    m2 = gate(cal, "measure_2", (0,))
    assert m2.error == 0.032470703125
    assert m2.duration is None  # not the single-qubit gate length
    assert len(cal.instruction("measure_2").qargs or ()) == 156


def test_2022_file_with_q_labels_and_spaced_separators() -> None:
    cal = read_perth()
    assert cal.taken_at is None  # IBM's name then had no time
    assert cal.qubits[1].t1 == pytest.approx(189.5e-6)
    assert cal.qubits[1].frequency == pytest.approx(5.034e9)
    cx = gate(cal, "cx", (1, 3))  # "1_3:8.501e-3; 1_2:7.113e-3; 1_0:7.753e-3"
    assert cx.error == 8.501e-3
    assert cx.duration == pytest.approx(405.333e-9)
    assert gate(cal, "x", (1,)).error == 3.050e-4  # "Single-qubit Pauli-X error"


def test_a_time_given_wins_over_the_name() -> None:
    moment = datetime(2022, 5, 1, tzinfo=timezone.utc)
    cal = read_calibration_csv(PERTH, configuration=configuration("perth"), taken_at=moment)
    assert cal.taken_at == moment


@pytest.mark.parametrize("path", [FEZ, SHERBROOKE])
def test_csv_with_the_bundled_configuration_transpiles(path: Path) -> None:
    target = qtargets.build_target(read_calibration_csv(path))
    bell = QuantumCircuit(2)
    bell.h(0)
    bell.cx(0, 1)
    bell.measure_all()
    for layout in ("default", "qtargets"):  # qiskit's, and the noise-aware plugin
        compiled = transpile(bell, target=target, optimization_level=3, seed_transpiler=1,
                             layout_method=None if layout == "default" else layout)
        score = qtargets.score(compiled, target)
        assert 0.0 < score.esp < 1.0
        assert math.isfinite(score.esp_idle)


def test_a_byte_order_mark_changes_nothing(tmp_path: Path) -> None:
    copy = tmp_path / FEZ.name
    copy.write_bytes(b"\xef\xbb\xbf" + FEZ.read_bytes())
    assert read_calibration_csv(copy).qubits == read_calibration_csv(FEZ).qubits


def test_a_file_resaved_with_semicolons_reads_the_same(tmp_path: Path) -> None:
    # what a spreadsheet in a locale with ';' as list separator writes
    rows = list(csv.reader(io.StringIO(SHERBROOKE.read_text(encoding="utf-8"), newline="")))
    copy = tmp_path / SHERBROOKE.name
    with copy.open("w", encoding="utf-8-sig", newline="") as out:
        csv.writer(out, delimiter=";").writerows(rows)
    assert read_calibration_csv(copy) == read_calibration_csv(SHERBROOKE)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(row=st.integers(0, 7), column=st.integers(0, 13), cell=st.text(max_size=12))
def test_any_cell_reads_or_is_a_calibration_error(tmp_path: Path, row: int, column: int,
                                                  cell: str) -> None:
    """Whatever one cell of a real file holds: the file reads (warnings allowed), or a
    CalibrationError names the file; never another exception."""
    rows = list(csv.reader(io.StringIO(PERTH.read_text(encoding="utf-8"), newline="")))
    rows[row][column] = cell
    path = tmp_path / PERTH.name
    with path.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out).writerows(rows)
    failure: CalibrationError | None = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", QTargetsWarning)
        try:
            read_calibration_csv(path, configuration=PERTH_CONFIGURATION)
        except CalibrationError as exc:
            failure = exc
    assert failure is None or str(failure).startswith(PERTH.name), failure


# -- as a file format of the IBM vendor ------------------------------------------------------------


def test_every_command_and_function_reads_the_file() -> None:
    found = vendors.file_format_of(FEZ.name, FEZ.read_bytes())
    assert found is not None
    assert found.name == "IBM Quantum calibration CSV"
    assert qtargets.load_calibration(FEZ) == read_calibration_csv(FEZ)
    assert qtargets.calibration(str(FEZ)).backend_name == "ibm_fez"


def test_json_and_other_csv_files_are_not_claimed() -> None:
    assert not looks_like_calibration_csv("fez.json", b'{"schema_version": 2}')
    assert not looks_like_calibration_csv("results.csv", b"circuit,device,esp\n")
    assert looks_like_calibration_csv("x.CSV", b'\xef\xbb\xbf"Qubit","T1 (us)"\n')


def test_file_names_ibm_gives() -> None:
    assert parse_file_name("ibm_kingston_calibrations_2025-07-02T15_30_16Z.csv") == (
        "ibm_kingston", datetime(2025, 7, 2, 15, 30, 16, tzinfo=timezone.utc))
    assert parse_file_name("ibm_fez_calibrations_2026-01-30T12_25_55Z (1).csv")[0] == "ibm_fez"
    assert parse_file_name("ibmq_kolkata_calibrations.csv") == ("ibmq_kolkata", None)
    assert parse_file_name("fez.csv") == (None, None)


def test_device_from_the_argument_when_the_name_does_not_say(tmp_path: Path) -> None:
    renamed = tmp_path / "fez.csv"
    renamed.write_bytes(FEZ.read_bytes())
    with pytest.raises(CalibrationError, match=r"fez\.csv: the file name does not say"):
        read_calibration_csv(renamed)
    with pytest.warns(QTargetsWarning, match="taken_at is unknown"):
        cal = read_calibration_csv(renamed, "ibm_fez")
    assert cal.qubits == read_calibration_csv(FEZ).qubits


def test_device_argument_contradicting_the_name_is_an_error() -> None:
    with pytest.raises(CalibrationError, match=r"says device 'ibm_fez'.*'ibm_torino'"):
        read_calibration_csv(FEZ, "ibm_torino")


def test_device_with_no_known_configuration_says_how_to_get_one() -> None:
    with pytest.raises(UnknownBackendError, match="no configuration of 'ibm_kingston'"):
        read_calibration_csv(KINGSTON)


def test_configuration_of_another_device_is_refused() -> None:
    with pytest.raises(CalibrationError, match="configuration given is of 'ibm_aachen'"):
        read_calibration_csv(KINGSTON, configuration=configuration("aachen"))


# -- malformed files ----------------------------------------------------------------------------


@pytest.mark.parametrize(("old", "new", "where", "reason"), [
    ("Q1,189.5,", "Q1,abc,", "row 3 (qubit 1), column 'T1 (us)'", "expected a number"),
    ("Q1,189.5,", "Q1,-189.5,", "row 3 (qubit 1), column 'T1 (us)'", "non-negative time"),
    ("Q1,189.5,49.22,5.034,-0.34437,2.700e-2", "Q1,189.5,49.22,5.034,-0.34437,2.7",
     "row 3 (qubit 1), column 'Readout assignment error '", "probability"),
    ("Q1,189.5,", "Q1,nan,", "row 3 (qubit 1), column 'T1 (us)'", "finite"),
    ("1_3:8.501e-3;", "1_3:high;", "row 3 (qubit 1), column 'CNOT error '", "1_3"),
    ("1_3:8.501e-3;", "1-3=8.501e-3;", "row 3 (qubit 1), column 'CNOT error '", "A_B:VALUE"),
    ("Q1,", "Qubit one,", "row 3, column 'Qubit'", "qubit number"),
    ("Q1,", "Q7,", "row 3 (qubit 7), column 'Qubit'", "7 qubits"),
    ("Q1,", "Q0,", "row 3 (qubit 0)", "a second row"),
    ("1_3:8.501e-3;", "1_3:8.501e-3;1_3:9e-3;", "row 3 (qubit 1), column 'CNOT error '",
     "given 0.008501 elsewhere"),
])
def test_a_bad_cell_names_file_row_column_and_value(tmp_path: Path, old: str, new: str,
                                                    where: str, reason: str) -> None:
    path = perth_copy(tmp_path, old, new)
    with pytest.raises(CalibrationError) as caught:
        read_calibration_csv(path, configuration=configuration("perth"))
    message = str(caught.value)
    assert message.startswith(f"{PERTH.name}: {where}"), message
    assert reason in message


def test_a_pair_the_device_lacks_is_an_error(tmp_path: Path) -> None:
    path = perth_copy(tmp_path, "Q0,179.61,100.54,5.158,-0.34152,2.170e-2,0.0224,0.021,675.556,"
                      "1.547e-4,1.547e-4,1.547e-4,0_1:7.753e-3,0_1:391.111",
                      "Q0,179.61,100.54,5.158,-0.34152,2.170e-2,0.0224,0.021,675.556,"
                      "1.547e-4,1.547e-4,1.547e-4,0_6:7.753e-3,0_6:391.111")
    with pytest.raises(CalibrationError) as caught:
        read_calibration_csv(path, configuration=configuration("perth"))
    assert str(caught.value) == (
        f"{PERTH.name}: row 2 (qubit 0), column 'CNOT error ': pair 0_6: ibm_perth has no cx "
        "coupler between qubits 0 and 6 (per its configuration), got '0_6:7.753e-3'")


def test_operational_flag_must_be_a_flag(tmp_path: Path) -> None:
    path = tmp_path / SHERBROOKE.name
    path.write_text(SHERBROOKE.read_text(encoding="utf-8").replace('"true"\n', '"maybe"\n', 1),
                    encoding="utf-8")
    with pytest.raises(CalibrationError, match=r"row 2 \(qubit 0\), column 'Operational': "
                                               r"expected true/false or Yes/No, got 'maybe'"):
        read_calibration_csv(path)


def test_a_faulty_qubit_is_kept_and_marked(tmp_path: Path) -> None:
    path = tmp_path / SHERBROOKE.name
    path.write_text(SHERBROOKE.read_text(encoding="utf-8").replace('"true"\n', '"false"\n', 1),
                    encoding="utf-8")
    assert read_calibration_csv(path).faulty_qubits == (0,)


def test_an_unknown_column_is_one_warning_naming_it(tmp_path: Path) -> None:
    lines = PERTH.read_text(encoding="utf-8").splitlines()
    lines = [lines[0] + ",Flux bias (V)"] + [line + ",0.1" for line in lines[1:]]
    path = tmp_path / PERTH.name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.warns(QTargetsWarning) as caught:
        read_calibration_csv(path, configuration=configuration("perth"))
    unknown = [str(w.message) for w in caught if "Flux bias" in str(w.message)]
    assert unknown == [f"{PERTH.name}: column 'Flux bias (V)' is not one qtargets knows; its "
                       "values are left out"]


def test_a_missing_row_and_a_missing_pair_are_warnings(tmp_path: Path) -> None:
    text = PERTH.read_text(encoding="utf-8").splitlines()
    path = tmp_path / PERTH.name
    path.write_text("\n".join(line for line in text if not line.startswith("Q6,")) + "\n",
                    encoding="utf-8")
    with pytest.warns(QTargetsWarning) as caught:
        cal = read_calibration_csv(path, configuration=configuration("perth"))
    messages = " | ".join(str(w.message) for w in caught)
    assert "no row for 1 of ibm_perth's 7 qubits (6)" in messages
    assert "cx pairs of ibm_perth are not in the file ((6, 5)" in messages
    assert cal.qubits[6] == qtargets.QubitCalibration()
    assert gate(cal, "cx", (6, 5)).error is None


def test_a_time_column_with_a_unit_of_frequency_is_an_error(tmp_path: Path) -> None:
    path = perth_copy(tmp_path, "T1 (us)", "T1 (GHz)")
    with pytest.raises(CalibrationError,
                       match=r"row 1, column 'T1 \(GHz\)': expected a unit of time"):
        read_calibration_csv(path, configuration=configuration("perth"))


def test_not_utf8_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / PERTH.name
    path.write_bytes(PERTH.read_bytes().replace("√".encode(), b"\xff"))
    with pytest.raises(CalibrationError, match="not UTF-8"):
        read_calibration_csv(path, configuration=configuration("perth"))


def test_a_short_row_is_an_error(tmp_path: Path) -> None:
    path = perth_copy(tmp_path, ",0_1:391.111", "")
    with pytest.raises(CalibrationError, match=r"row 2: expected 14 cells"):
        read_calibration_csv(path, configuration=configuration("perth"))


def test_stored_calibration_of_the_device_gives_the_structure() -> None:
    with qtargets.CalibrationStore() as store:
        store.save(read_perth())  # read from a CSV: its structure is borrowed, passed over
        with pytest.raises(UnknownBackendError, match="no configuration of 'ibm_perth'"):
            read_calibration_csv(PERTH)
        store.save(qtargets.ibm.to_calibration(configuration("perth")))  # as fetched
    with pytest.warns(QTargetsWarning, match="taken_at is unknown"):
        cal = read_calibration_csv(PERTH)
    assert cal == read_perth()


def test_offline_the_structure_is_the_bundled_day_in_force_at_the_files_time() -> None:
    """Sherbrooke's CSV of 2024-09-12 takes its instructions from the bundled history's
    2024-05-27 calibration (in force then), not from the 2025-02-26 snapshot."""
    cal = qtargets.load_calibration(SHERBROOKE)
    notes = cal.provenance.notes or ""
    assert "taken 2024-05-27T18:19:05+00:00" in notes
    assert "qiskit-ibm-runtime 0.37.0 wheel" in notes
