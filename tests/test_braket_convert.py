"""AWS Braket device documents -> Calibration: real documents (tests/data/braket/, see its
README for where each comes from) convert with their own numbers, every kind of malformed
input names its path, and every command works on a saved document."""

from __future__ import annotations

import copy
import json
import math
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from qiskit import QuantumCircuit, transpile
from qiskit.circuit.library import CZGate, RGate, RXGate
from typer.testing import CliRunner

import qtargets
from qtargets import CalibrationError, QTargetsWarning
from qtargets.braket import arn_of, from_braket, name_of_arn, parse_device, to_calibration
from qtargets.braket.convert import IONQ_NATIVE_GATES
from qtargets.braket.source import FILE_FORMAT, read_file
from qtargets.cli import app
from qtargets.ionq.convert import NATIVE_PARAMETERS
from qtargets.ionq.gates import GPIGate, ZZGate

DATA = Path(__file__).parent / "data" / "braket"
IONQ = DATA / "ionq_forte_enterprise_device_capabilities.json"
GARNET = DATA / "garnet_device_properties_20250706.json"  # saved as a JSON string
GARNET_2026 = DATA / "iqm_garnet_device_capabilities.json"
RIGETTI = DATA / "rigetti_device_capabilities.json"
FIXTURES = (IONQ, GARNET, GARNET_2026, RIGETTI)
runner = CliRunner()


def document(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return json.loads(data) if isinstance(data, str) else data


def response(doc: dict[str, Any], arn: str, **fields: Any) -> dict[str, Any]:
    """A GetDevice response holding ``doc`` the way the API sends it (JSON text)."""
    return {"deviceArn": arn, "deviceName": arn.rsplit("/", 1)[1],
            "providerName": fields.pop("providerName", "IonQ"), "deviceType": "QPU",
            "deviceStatus": "ONLINE", "deviceCapabilities": json.dumps(doc), **fields}


def ionq_fe() -> qtargets.Calibration:
    return to_calibration(document(IONQ), name="braket.us-east-1.ionq.Forte-Enterprise-1")


# -- the published schemas agree that the fixtures are Braket documents ---------------------------


@pytest.mark.skipif(sys.version_info >= (3, 14), reason="amazon-braket-schemas is written on "
                    "pydantic.v1, which Python 3.14 does not support")
@pytest.mark.parametrize("path", FIXTURES, ids=[p.name for p in FIXTURES])
def test_every_fixture_is_valid_under_awss_published_schemas(path: Path) -> None:
    schema_common = pytest.importorskip("braket.schema_common")
    parsed = schema_common.BraketSchemaBase.parse_raw_schema(json.dumps(document(path)))
    assert parsed.standardized is not None


# -- real documents ------------------------------------------------------------------------------


def test_ionq_forte_enterprise_takes_ionqs_own_figures_for_every_qubit_and_pair() -> None:
    cal = ionq_fe()
    assert cal.vendor == "braket"
    assert cal.num_qubits == 36
    assert cal.taken_at == datetime(2026, 5, 3, tzinfo=timezone.utc)
    assert cal.instruction_names == ("gpi", "gpi2", "zz", "measure")
    assert cal.instruction("zz").parameters == ("theta",)
    zz = cal.instruction("zz").qargs
    assert zz is not None
    assert len(zz) == 36 * 35  # fully connected, both ways round
    assert {(g.error, g.duration) for g in zz} == {(1.0 - 0.9925, 0.00065)}
    for name in ("gpi", "gpi2"):
        assert {(g.error, g.duration) for g in cal.instruction(name).qargs or ()} == {
            (1.0 - 0.9999, 6.3e-05)}
    assert {(g.error, g.duration) for g in cal.instruction("measure").qargs or ()} == {
        (1.0 - 0.9955, 0.00025)}
    assert {(q.t1, q.t2, q.readout_error) for q in cal.qubits} == {(188.0, 0.95, 1.0 - 0.9955)}
    assert "active reset duration" in (cal.provenance.notes or "")


def test_ionq_gates_are_the_ionq_vendors_own_classes_in_the_target() -> None:
    target = qtargets.build_target(ionq_fe())
    assert isinstance(target.operation_from_name("gpi"), GPIGate)
    assert isinstance(target.operation_from_name("zz"), ZZGate)
    assert qtargets.vendors.stage_plugins(target) is not None  # IonQ's native stages apply


def test_ionq_native_gates_are_named_and_parametrised_as_the_ionq_vendor_does() -> None:
    assert {name: params for name, (_, params) in IONQ_NATIVE_GATES.items()} == \
        NATIVE_PARAMETERS


def test_iqm_garnet_converts_per_qubit_and_per_pair_keeping_braket_qubit_numbers() -> None:
    cal = read_file(GARNET.name, GARNET.read_bytes())  # a document saved as a JSON string
    assert cal.backend_name == "braket.file.garnet_device_properties_20250706"
    assert cal.taken_at == datetime(2025, 7, 6, 17, 52, 53, 997626, tzinfo=timezone.utc)
    assert cal.num_qubits == 21
    assert cal.faulty_qubits == (0,)  # IQM numbers its qubits 1-20: 0 is a placeholder
    assert "placeholders" in (cal.provenance.notes or "")
    one = cal.qubits[1]
    assert one.t1 == 4.338948813961457e-05
    assert one.t2 == 8.255788353629735e-06
    assert one.readout_error == 1.0 - 0.9795
    assert one.prob_meas1_prep0 == 0.022  # READOUT_ERROR_0_TO_1
    assert one.prob_meas0_prep1 == 0.019
    r = cal.instruction("r")  # IQM's prx(θ, φ) is qiskit's r(θ, φ)
    assert r.qargs is not None
    assert r.qargs[0] == (((1,), 1.0 - 0.9989774467839274, None, True))
    cz = {g.qubits: g.error for g in cal.instruction("cz").qargs or ()}
    assert len(cz) == 60  # 30 couplers, both ways round
    assert cz[(1, 2)] == cz[(2, 1)] == 1.0 - 0.9823020081397336
    notes = cal.provenance.notes or ""
    assert "Two_Qubit_Clifford" in notes  # a benchmark, not a gate: left out, said so
    assert "cc_prx" in notes
    assert "measure_ff" in notes
    target = qtargets.build_target(cal)
    assert isinstance(target.operation_from_name("r"), RGate)
    assert isinstance(target.operation_from_name("cz"), CZGate)
    assert 0 not in {q for qargs in target.qargs or () for q in qargs}


def test_rigetti_cepheus_uses_simultaneous_rb_and_marks_its_missing_qubit() -> None:
    cal = read_file(RIGETTI.name, RIGETTI.read_bytes())
    assert cal.processor == "Rigetti"
    assert cal.num_qubits == 108
    assert cal.faulty_qubits == (8,)
    rx = {g.qubits: g.error for g in cal.instruction("rx").qargs or ()}
    assert rx[(0,)] == 1.0 - 0.9978239190014844  # simultaneous RB, not isolated 0.99906
    assert {(g.error, g.duration) for g in cal.instruction("rz").qargs or ()} == {(None, None)}
    cz = {g.qubits: g.error for g in cal.instruction("cz").qargs or ()}
    assert cz[(88, 89)] == cz[(89, 88)] == 1.0 - 0.9962143093800572
    assert cal.qubits[0].readout_error == 1.0 - 0.964
    assert cal.qubits[0].t1 == 2.189512258898851e-05
    assert isinstance(qtargets.build_target(cal).operation_from_name("rx"), RXGate)


def test_a_get_device_response_is_named_by_its_arn() -> None:
    arn = "arn:aws:braket:eu-north-1::device/qpu/iqm/Garnet"
    body = json.dumps(response(document(GARNET_2026), arn, providerName="IQM")).encode()
    cal = to_calibration(body)
    assert cal.backend_name == "braket.eu-north-1.iqm.Garnet"
    assert cal.processor == "IQM Garnet"
    assert cal.provenance.source == f"AWS Braket GetDevice {arn}"
    assert read_file("saved.json", body) .backend_name == "braket.eu-north-1.iqm.Garnet"


def test_names_and_arns_map_to_each_other() -> None:
    arn = "arn:aws:braket:us-west-1::device/qpu/rigetti/Cepheus-1-108Q"
    assert name_of_arn(arn) == "braket.us-west-1.rigetti.Cepheus-1-108Q"
    assert arn_of(name_of_arn(arn)) == arn
    with pytest.raises(qtargets.UnknownBackendError, match="not the ARN of an AWS Braket QPU"):
        name_of_arn("arn:aws:braket:::device/quantum-simulator/amazon/sv1")
    assert qtargets.vendors.vendor_of("braket.us-east-1.ionq.Forte-1").name == "braket"
    assert qtargets.vendors.owner_of("braket.file.x") is None  # no live source for files


# -- malformed input names its path --------------------------------------------------------------


def broken(path: Path, edit: Any) -> dict[str, Any]:
    doc = copy.deepcopy(document(path))
    edit(doc)
    return doc


def _set(keys: tuple[Any, ...], value: Any) -> Any:
    def edit(doc: dict[str, Any]) -> None:
        node = doc
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value
    return edit


MALFORMED = [
    (GARNET, _set(("standardized", "oneQubitProperties", "3", "T1", "value"), "long"),
     "standardized.oneQubitProperties[3].T1.value: expected a number, got 'long'"),
    (GARNET, _set(("standardized", "oneQubitProperties", "3", "T1", "unit"), "fortnights"),
     "standardized.oneQubitProperties[3].T1.unit: expected a time unit"),
    (GARNET, _set(("standardized", "oneQubitProperties", "3", "oneQubitFidelity", 0,
                   "fidelity"), 1.5),
     "standardized.oneQubitProperties[3].oneQubitFidelity[0].fidelity"),
    (GARNET, _set(("standardized", "twoQubitProperties", "1-1"),
                  {"twoQubitGateFidelity": []}),
     "standardized.twoQubitProperties.1-1: a qubit cannot pair with itself"),
    (RIGETTI, _set(("standardized", "twoQubitProperties", "88-89", "twoQubitGateFidelity", 0,
                    "direction"), {"control": 88, "target": 5}),
     "standardized.twoQubitProperties.88-89.twoQubitGateFidelity[0].direction"),
    (GARNET, _set(("standardized", "braketSchemaHeader", "version"), "9"),
     "standardized.braketSchemaHeader.version: expected a version qtargets reads"),
    (GARNET, _set(("paradigm", "qubitCount"), -1), "paradigm.qubitCount"),
    (GARNET, _set(("paradigm", "connectivity", "connectivityGraph", "QB1"), ["2"]),
     "paradigm.connectivity.connectivityGraph.QB1: expected a qubit number"),
    (GARNET, _set(("paradigm", "braketSchemaHeader", "name"),
                  "braket.device_schema.simulators.gate_model_simulator_paradigm_properties"),
     "paradigm.braketSchemaHeader.name: not a gate-model QPU"),
    (GARNET, _set(("service", "updatedAt"), "yesterday"),
     "service.updatedAt: expected an ISO 8601 date-time"),
    (IONQ, _set(("provider", "fidelity", "2Q", "mean"), 1.5),
     "provider.fidelity.2Q.mean"),
    (IONQ, _set(("standardized", "twoQubitGateDuration", "value"), -1.0),
     "standardized.twoQubitGateDuration.value"),
    (IONQ, lambda doc: doc.pop("braketSchemaHeader"),
     "braketSchemaHeader: required field is missing"),
]


@pytest.mark.parametrize(("path", "edit", "message"), MALFORMED,
                         ids=[m for _, _, m in MALFORMED])
def test_malformed_documents_name_the_path_and_value(path: Path, edit: Any,
                                                     message: str) -> None:
    with pytest.raises(CalibrationError) as raised:
        to_calibration(broken(path, edit), name="braket.us-east-1.ionq.X")
    assert message in str(raised.value)


def test_inside_a_get_device_response_paths_start_at_device_capabilities() -> None:
    doc = broken(GARNET, _set(("paradigm", "qubitCount"), "twenty"))
    arn = "arn:aws:braket:eu-north-1::device/qpu/iqm/Garnet"
    with pytest.raises(CalibrationError, match=r"^deviceCapabilities\.paradigm\.qubitCount"):
        to_calibration(response(doc, arn))
    bad_text = {**response(doc, arn), "deviceCapabilities": "{not json"}
    with pytest.raises(CalibrationError, match=r"^deviceCapabilities: invalid JSON"):
        to_calibration(bad_text)
    with pytest.raises(CalibrationError, match="deviceArn"):
        to_calibration({**response(doc, arn), "deviceArn": 7})


def test_text_that_is_no_document_is_refused() -> None:
    with pytest.raises(CalibrationError, match=r"^document: invalid JSON"):
        parse_device(b"{")
    with pytest.raises(CalibrationError, match=r"^document: expected a JSON object"):
        parse_device(b"[1, 2]")
    with pytest.raises(CalibrationError, match="pass name="):
        to_calibration(document(IONQ))  # a bare document names no device


def test_ionq_figures_that_disagree_with_the_standardized_block_are_a_warning() -> None:
    doc = broken(IONQ, _set(("standardized", "twoQubitGateFidelity", 0, "fidelity"), 0.98))
    with pytest.warns(QTargetsWarning, match=r"provider\.fidelity\.2Q and "
                                             r"standardized\.twoQubitGateFidelity differ"):
        cal = to_calibration(doc, name="braket.us-east-1.ionq.Forte-Enterprise-1")
    assert {g.error for g in cal.instruction("zz").qargs or ()} == {1.0 - 0.9925}


def test_an_unknown_native_gate_is_a_warning_and_left_out() -> None:
    doc = broken(RIGETTI, lambda d: d["paradigm"]["nativeGateSet"].append("warp"))
    with pytest.warns(QTargetsWarning, match="'warp'"):
        cal = to_calibration(doc, name="braket.us-west-1.rigetti.Cepheus-1-108Q")
    assert "warp" not in cal.instruction_names


def test_two_qubit_figures_of_an_unconnected_pair_are_a_warning() -> None:
    doc = broken(GARNET, _set(("standardized", "twoQubitProperties", "1-20"),
                              {"twoQubitGateFidelity": []}))
    with pytest.warns(QTargetsWarning, match="twoQubitProperties.1-20: figures of a pair"):
        to_calibration(doc, name="braket.eu-north-1.iqm.Garnet")


# -- a saved document is a calibration file for everything ---------------------------------------


def test_the_file_format_claims_braket_documents_and_never_a_calibration_json(
        tmp_path: Path) -> None:
    assert FILE_FORMAT.recognises(IONQ.name, IONQ.read_bytes())
    assert FILE_FORMAT.recognises(GARNET.name, GARNET.read_bytes())
    saved = ionq_fe().to_json().encode()
    assert not FILE_FORMAT.recognises("cal.json", saved)
    assert qtargets.load_calibration(str(IONQ)).num_qubits == 36


def test_show_map_rank_score_and_layout_work_on_a_saved_document(tmp_path: Path) -> None:
    shown = runner.invoke(app, ["show", str(GARNET_2026)], env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    assert "braket.file.iqm_garnet_device_capabilities" in shown.output
    image = tmp_path / "garnet.png"
    mapped = runner.invoke(app, ["map", str(RIGETTI), "--out", str(image), "--dpi", "20"])
    assert mapped.exit_code == 0, mapped.output
    assert image.stat().st_size > 0
    circuit = tmp_path / "bell.qasm"
    circuit.write_text('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\n'
                       "h q[0];\ncx q[0],q[1];\nmeasure q -> c;\n")
    ranked = runner.invoke(app, ["rank", str(circuit), "-b", f"{IONQ},{GARNET_2026}",
                                 "--level", "1"], env={"COLUMNS": "200"})
    assert ranked.exit_code == 0, ranked.output
    assert "braket.file.ionq_forte_enterprise_device_capabilities" in ranked.output

    target = from_braket(document(GARNET_2026), name="braket.eu-north-1.iqm.Garnet")
    bell = QuantumCircuit(2, 2)
    bell.h(0)
    bell.cx(0, 1)
    bell.measure([0, 1], [0, 1])
    compiled = transpile(bell, target=target, layout_method="qtargets", optimization_level=2,
                         seed_transpiler=1)
    used = {compiled.find_bit(q).index for inst in compiled.data for q in inst.qubits}
    assert 0 not in used  # the placeholder is never placed on
    score = qtargets.score(compiled, target)
    assert 0.0 < score.esp < 1.0
    assert math.isfinite(score.esp_idle)
