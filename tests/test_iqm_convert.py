"""IQM quality metric sets -> the neutral Calibration, on real data.

tests/data/iqm/ holds two real quality metric sets of IQM Resonance devices, both of
2026-01-31, as IQM's API returned them (``GET /api/v1/calibration-sets/{qc}/default/
metrics``), published by an iQuHACK 2026 team ("data from IQM's website") in the public
repository github.com/burkaman/2026-IQM, calibration_data/garnet.json and emerald.json at
commit a8ebcd45: IQM Garnet (chip M194_F0W2114_P08_B15, 20 qubits) and IQM Emerald (chip
M216_F0W102525_H03_F08, 54 qubits). The numbers asserted below are read off those files.

IQM publishes no dynamic quantum architecture or calibration set beside them: the
architectures below are built from the real metric sets' own loci (structure only, no
number), and the one calibration set is a schema example whose durations are the
vendor's own figures in qiskit-on-iqm's IQMFakeGarnet (prx 20 ns, cz 40 ns), labelled so.
"""

from __future__ import annotations

import copy
import json
import re
import warnings
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from qiskit import QuantumCircuit, transpile
from typer.testing import CliRunner

import qtargets
from qtargets import CalibrationError, QTargetsWarning, vendors
from qtargets.cli import app
from qtargets.iqm import from_iqm, to_calibration
from qtargets.iqm.source import FILE_FORMAT, recognises

DATA = Path(__file__).parent / "data" / "iqm"
GARNET = DATA / "garnet_quality_metrics_2026-01-31.json"
EMERALD = DATA / "emerald_quality_metrics_2026-01-31.json"
runner = CliRunner()


def metrics(path: Path = GARNET) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_bytes())
    return data


def architecture_of(qms: dict[str, Any]) -> dict[str, Any]:
    """The dynamic quantum architecture of a metric set's own loci, in IQM's shape: every
    implementation with a metric, the one with most loci the default, each other one an
    override on its loci."""
    loci: dict[str, dict[str, list[list[str]]]] = {}
    qubits: set[str] = set()
    for obs in qms["observations"]:
        found = re.fullmatch(r"metrics\.(rb|irb|ssro)\.(prx|cz|measure)\.(\w+)\.([\w_]+)\."
                             r"fidelity(:.*)?", obs["dut_field"])
        if found is None:
            continue
        method, gate, implementation, locus = found.group(1, 2, 3, 4)
        if (gate, method) in (("prx", "rb"), ("cz", "irb"), ("measure", "ssro")):
            names = locus.split("__")
            qubits.update(names)
            loci.setdefault(gate, {}).setdefault(implementation, []).append(names)
    return {
        "calibration_set_id": qms["describes_id"],
        "qubits": sorted(qubits, key=lambda q: int(q[2:])),
        "computational_resonators": [],
        "gates": {gate: _gate(by_impl) for gate, by_impl in loci.items()},
    }


def _gate(by_impl: dict[str, list[list[str]]]) -> dict[str, Any]:
    default = max(sorted(by_impl), key=lambda impl: len(by_impl[impl]))
    return {"implementations": {impl: {"loci": found} for impl, found in sorted(by_impl.items())},
            "default_implementation": default,
            "override_default_implementation": {",".join(locus): impl
                                                for impl, found in by_impl.items()
                                                if impl != default for locus in found}}


def calibration_set_of(qms: dict[str, Any], dqa: dict[str, Any]) -> dict[str, Any]:
    """A calibration set in IQM's shape with only the gate durations (schema example;
    durations from qiskit-on-iqm's IQMFakeGarnet: prx 20 ns, cz 40 ns)."""
    durations = {"prx": 20e-9, "cz": 40e-9}
    observations = [
        {"dut_field": f"gates.{gate}.{impl}.{'__'.join(locus)}.duration", "value": seconds,
         "unit": "s", "invalid": False}
        for gate, seconds in durations.items()
        for impl, info in dqa["gates"][gate]["implementations"].items()
        for locus in info["loci"]]
    return {"observation_set_id": qms["describes_id"], "observation_set_type": "calibration-set",
            "dut_label": qms["dut_label"], "observations": observations}


# -- real data -------------------------------------------------------------------------------


def test_garnet_metric_set_converts_with_iqm_numbers() -> None:
    cal = to_calibration(GARNET.read_bytes(), backend_name="iqm_garnet")
    assert (cal.vendor, cal.backend_name, cal.num_qubits) == ("iqm", "iqm_garnet", 20)
    assert cal.processor == "IQM Crystal 20"
    assert cal.taken_at is not None
    assert cal.taken_at.isoformat() == "2026-01-31T15:07:14.089260+00:00"  # end_timestamp
    assert cal.backend_version == "49229fc0-7406-48a4-bd53-9679cd57f9c7"  # describes_id
    assert cal.instruction_names == ("cz", "id", "r", "delay", "measure")
    # QB1 is qubit 0: characterization.model.QB1.t1_time / t2_time, seconds
    qb1 = cal.qubits[0]
    assert qb1.t1 == pytest.approx(4.161178597240168e-05)
    assert qb1.t2 == pytest.approx(9.89244262834073e-06)  # t2_time, not t2_echo_time
    # metrics.ssro.measure.constant.QB1.{fidelity 0.9855, error_0_to_1 .0095, error_1_to_0 .0195}
    assert qb1.readout_error == pytest.approx(1 - 0.9855)
    assert qb1.prob_meas1_prep0 == 0.0095
    assert qb1.prob_meas0_prep1 == 0.0195
    # metrics.rb.prx.drag_crf_sx.QB1.fidelity:par=d2 = 0.9996558433590702
    r = {g.qubits: g for g in cal.instruction("r").qargs or ()}
    assert r[(0,)].error == pytest.approx(1 - 0.9996558433590702)
    assert r[(0,)].duration is None  # durations live in the calibration set
    # metrics.irb.cz.slepian_crf.QB2__QB1.fidelity:par=d2 = 0.9976013040098212, as ordered
    cz = {g.qubits: g for g in cal.instruction("cz").qargs or ()}
    assert cz[(1, 0)].error == pytest.approx(1 - 0.9976013040098212)
    assert len(cz) == 27  # the couplers IRB measured (Garnet has 30; three have no metric)
    measure = {g.qubits: g.error for g in cal.instruction("measure").qargs or ()}
    assert measure[(0,)] == qb1.readout_error
    assert "QB1=0" in (cal.provenance.notes or "")
    assert "chip M194_F0W2114_P08_B15" in (cal.provenance.notes or "")


def test_emerald_metric_set_converts() -> None:
    cal = to_calibration(EMERALD.read_bytes(), backend_name="iqm_emerald")
    assert cal.num_qubits == 54
    assert len(cal.instruction("cz").qargs or ()) == 82  # crf_crf (71) + crf_acstarkcrf (11)
    assert cal.qubits[0].prob_meas0_prep1 == 0.023
    assert all(q.t1 is not None and q.readout_error is not None for q in cal.qubits)


def test_prx_is_qiskits_r_gate_and_the_target_transpiles() -> None:
    target = from_iqm(GARNET.read_bytes(), backend_name="iqm_garnet")
    assert target.operation_from_name("r").name == "r"
    assert len(target.operation_from_name("r").params) == 2  # qiskit's RGate(theta, phi)
    bell = QuantumCircuit(2)
    bell.h(0)
    bell.cx(0, 1)
    bell.measure_all()
    compiled = transpile(bell, target=target, optimization_level=3, seed_transpiler=1,
                         layout_method="qtargets")
    assert set(compiled.count_ops()) <= {"r", "cz", "measure", "barrier"}
    score = qtargets.score(compiled, target)
    assert 0.9 < score.esp < 1.0  # two readouts (~1-2 % each), a cz, a few r


def test_architecture_sets_order_and_implementation_per_locus() -> None:
    qms = metrics(EMERALD)
    dqa = architecture_of(qms)
    cz = dqa["gates"]["cz"]
    assert cz["default_implementation"] == "crf_crf"  # 71 couplers, 11 crf_acstarkcrf
    overridden = next(iter(cz["override_default_implementation"]))
    dqa["qubits"] = list(reversed(dqa["qubits"]))  # IQM's order rules
    cal = to_calibration(qms, dqa, backend_name="iqm_emerald")
    index = {q: i for i, q in enumerate(dqa["qubits"])}
    a, b = overridden.split(",")
    field = f"metrics.irb.cz.crf_acstarkcrf.{a}__{b}.fidelity:par=d2"
    value = next(o["value"] for o in qms["observations"] if o["dut_field"] == field)
    cz_errors = {g.qubits: g.error for g in cal.instruction("cz").qargs or ()}
    assert cz_errors[(index[a], index[b])] == pytest.approx(1 - value)
    assert cal.qubits[index["QB1"]].prob_meas0_prep1 == 0.023
    # without the override the default implementation is used, and it has no metric there
    del cz["override_default_implementation"][overridden]
    cal = to_calibration(qms, dqa)
    cz_errors = {g.qubits: g.error for g in cal.instruction("cz").qargs or ()}
    assert cz_errors[(index[a], index[b])] is None


def test_calibration_set_brings_durations() -> None:
    qms = metrics()
    dqa = architecture_of(qms)
    cal = to_calibration(qms, dqa, calibration_set_of(qms, dqa), backend_name="iqm_garnet")
    assert {g.duration for g in cal.instruction("r").qargs or ()} == {20e-9}
    assert {g.duration for g in cal.instruction("cz").qargs or ()} == {40e-9}
    assert "durations unknown" not in (cal.provenance.notes or "")


def test_a_qubit_without_prx_or_measure_is_faulty_as_iqms_backend_drops_it() -> None:
    qms = metrics()
    dqa = architecture_of(qms)
    for impl in dqa["gates"]["prx"]["implementations"].values():
        impl["loci"] = [locus for locus in impl["loci"] if locus != ["QB4"]]
    cal = to_calibration(qms, dqa)
    assert cal.faulty_qubits == (3,)


def test_resonator_loci_are_left_out_with_a_warning() -> None:
    qms = metrics()
    dqa = architecture_of(qms)
    dqa["computational_resonators"] = ["COMPR1"]
    dqa["gates"]["move"] = {"implementations": {"tgss_crf": {"loci": [["QB1", "COMPR1"]]}},
                            "default_implementation": "tgss_crf",
                            "override_default_implementation": {}}
    dqa["gates"]["cz"]["implementations"]["slepian_crf"]["loci"].append(["QB2", "COMPR1"])
    with pytest.warns(QTargetsWarning, match="1 gate loci on computational resonators"):
        cal = to_calibration(qms, dqa)
    assert len(cal.instruction("cz").qargs or ()) == 27
    notes = cal.provenance.notes or ""
    assert "not modelled: move" in notes
    assert "Not qubits, left out: COMPR1" in notes


def test_invalid_and_repeated_observations_are_left_out_with_warnings() -> None:
    qms = metrics()
    t1 = next(o for o in qms["observations"]
              if o["dut_field"] == "characterization.model.QB1.t1_time")
    t1["invalid"] = True
    again = copy.deepcopy(next(o for o in qms["observations"]
                               if o["dut_field"].startswith("metrics.rb.prx.")))
    again["dut_field"] = again["dut_field"].replace(":par=d2", ":par=d1")
    qms["observations"].append(again)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cal = to_calibration(qms)
    messages = [str(w.message) for w in caught]
    assert any("1 observation(s) marked invalid" in m for m in messages)
    assert any("1 repeated observation(s)" in m for m in messages)
    assert cal.qubits[0].t1 is None


def test_two_implementations_without_an_architecture_is_an_error() -> None:
    qms = metrics()
    extra = copy.deepcopy(next(o for o in qms["observations"]
                               if o["dut_field"].startswith("metrics.irb.cz.")))
    extra["dut_field"] = extra["dut_field"].replace("slepian_crf", "crf_crf")
    qms["observations"].append(extra)
    with pytest.raises(CalibrationError, match="pass the dynamic quantum architecture"):
        to_calibration(qms)


# -- malformed input names its path ----------------------------------------------------------


def _set(path: str, value: object) -> dict[str, Any]:
    qms = metrics()
    node: Any = qms
    *parents, last = path.split(".")
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    node[int(last) if last.isdigit() else last] = value
    return qms


def _index(prefix: str) -> int:
    return next(i for i, o in enumerate(metrics()["observations"])
                if o["dut_field"].startswith(prefix))


T1 = _index("characterization.model.QB1.t1_time")
PRX = _index("metrics.rb.prx.")
CZ = _index("metrics.irb.cz.")


@pytest.mark.parametrize(("payload", "match"), [
    (_set(f"observations.{PRX}.value", "high"),
     rf"metrics\.observations\[{PRX}\]\.value: metrics\.rb\.prx\..*expected a finite number"),
    (_set(f"observations.{PRX}.value", 1.5),
     rf"metrics\.observations\[{PRX}\]\.value: .*expected a probability in \[0, 1\]"),
    (_set(f"observations.{T1}.unit", "GHz"),
     rf"metrics\.observations\[{T1}\]\.unit: .*expected a unit of time"),
    (_set(f"observations.{T1}.value", None),
     rf"metrics\.observations\[{T1}\]\.value: .*expected a finite number, got None"),
    (_set(f"observations.{T1}.dut_field", 7),
     rf"metrics\.observations\[{T1}\]\.dut_field: expected a string"),
    (_set(f"observations.{CZ}.dut_field", "metrics.irb.cz.slepian_crf.QB1.fidelity"),
     rf"metrics\.observations\[{CZ}\]\.dut_field: cz acts on 2 distinct component\(s\), not QB1"),
    (_set(f"observations.{CZ}.dut_field", "metrics.irb.cz.slepian_crf.QB1__QB1.fidelity"),
     rf"metrics\.observations\[{CZ}\]\.dut_field: cz acts on 2 distinct"),
    (_set("observations", {}), r"metrics\.observations: expected a list"),
    (_set("observation_set_type", "calibration-set"),
     r"metrics\.observation_set_type: expected 'quality-metric-set'"),
    (_set("observation_set_type", "weekly"), r"metrics\.observation_set_type: not an allowed"),
    (_set("end_timestamp", "yesterday"), r"metrics\.end_timestamp: expected an ISO 8601"),
    ({"observation_set_type": "quality-metric-set", "observations": []},
     r"metrics\.observation_set_id: required field is missing"),
    (b'{"observations": [', r"^metrics: "),
    ([1, 2], r"metrics: expected an object"),
])
def test_malformed_metrics_name_the_path(payload: Any, match: str) -> None:
    with pytest.raises(CalibrationError, match=match):
        to_calibration(payload if isinstance(payload, (bytes, list)) else json.dumps(payload))


def test_malformed_architecture_and_calibration_set_name_the_path() -> None:
    qms = metrics()
    dqa = architecture_of(qms)
    bad = copy.deepcopy(dqa)
    bad["gates"]["cz"]["default_implementation"] = "nope"
    with pytest.raises(CalibrationError,
                       match=r"architecture\.gates\.cz\.default_implementation: not one of"):
        to_calibration(qms, bad)
    bad = copy.deepcopy(dqa)
    bad["gates"]["prx"]["implementations"]["drag_crf_sx"]["loci"][0] = "QB1"
    with pytest.raises(CalibrationError, match=r"architecture\.gates\.prx\.implementations"
                                               r"\.drag_crf_sx\.loci\[0\]: expected a list"):
        to_calibration(qms, bad)
    bad = copy.deepcopy(dqa)
    bad["gates"]["prx"]["implementations"]["drag_crf_sx"]["loci"][2] = ["QB1", "QB2"]
    with pytest.raises(CalibrationError, match=r"architecture\.gates\.prx\.implementations"
                                               r"\.drag_crf_sx\.loci\[2\]: prx acts on 1"):
        to_calibration(qms, bad)
    bad = copy.deepcopy(dqa)
    bad["calibration_set_id"] = "another"
    with pytest.raises(CalibrationError, match=r"architecture\.calibration_set_id: not the "
                                               r"calibration set the metrics describe"):
        to_calibration(qms, bad)
    cal_set = calibration_set_of(qms, dqa)
    cal_set["observations"][0]["unit"] = "Hz"
    with pytest.raises(CalibrationError,
                       match=r"calibration_set\.observations\[0\]\.unit: .*unit of time"):
        to_calibration(qms, dqa, cal_set)


# -- the file format, and every command on it -----------------------------------------------


def test_a_saved_metric_set_is_recognised_and_nothing_else_is() -> None:
    data = GARNET.read_bytes()
    assert recognises("garnet.json", data)
    assert vendors.file_format_of("any.json", data) is FILE_FORMAT
    calibration_json = qtargets.load_calibration("ibm_fez").to_json().encode()
    assert not recognises("x.json", calibration_json)
    braket = json.dumps({"braketSchemaHeader": {"name": "braket.device_schema"},
                         "observation_set_type": "quality-metric-set"}).encode()
    assert not recognises("x.json", braket)
    assert not recognises("x.json", b"\xff\xfe not json")
    assert not recognises("x.json", data.replace(b"quality-metric-set", b"calibration-set"))
    qms = metrics()
    reordered = {"observations": qms.pop("observations"), **qms}  # the type key at the end
    assert recognises("x.json", json.dumps(reordered, indent=4).encode())


def invoke(*args: str) -> str:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.output


def test_every_command_reads_the_file(tmp_path: Path) -> None:
    calibration = qtargets.load_calibration(GARNET)
    assert calibration.backend_name == "iqm_M194_F0W2114_P08_B15"  # the chip it names
    assert calibration.provenance.source == f"file {GARNET.name}"
    shown = invoke("show", str(GARNET))
    assert "iqm_M194_F0W2114_P08_B15" in shown
    assert "cz" in shown
    image = tmp_path / "garnet.png"
    assert invoke("map", str(GARNET), "--out", str(image), "--dpi", "20").strip() == str(image)
    circuit = tmp_path / "bell.qasm"
    circuit.write_text('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\nh q[0];\n'
                       "cx q[0],q[1];\n")
    ranked = invoke("rank", str(circuit), "-b", f"{GARNET},{EMERALD},ibm_fez", "--level", "1",
                    "--offline")
    assert "iqm_M194_F0W2114_P08_B15" in ranked
    assert "iqm_M216_F0W102525_H03_F08" in ranked
    exported = json.loads(invoke("export", str(GARNET)))
    assert exported["vendor"] == "iqm"


def test_a_malformed_file_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(_set(f"observations.{PRX}.value", "high")))
    with pytest.raises(CalibrationError, match=rf"observations\[{PRX}\]\.value"):
        qtargets.load_calibration(path)
    result = runner.invoke(app, ["show", str(path)], env={"COLUMNS": "200"})
    assert result.exit_code == 2
    assert f"observations[{PRX}].value" in result.output


# -- any corruption is a CalibrationError ----------------------------------------------------

JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=5)
NAMES = st.sampled_from([o["dut_field"] for o in metrics()["observations"]]).flatmap(
    lambda name: st.sampled_from([name, name.replace("QB1", "QB0"), name.replace(".", ":"),
                                  name.replace("__", "_"), name + ".x", name.split(":")[0]]))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(index=st.integers(0, len(metrics()["observations"]) - 1),
       key=st.sampled_from(["value", "unit", "dut_field", "invalid", "uncertainty"]),
       value=JSON | NAMES)
def test_any_corrupted_observation_converts_or_names_its_path(index: int, key: str,
                                                              value: Any) -> None:
    qms = metrics()
    qms["observations"][index][key] = value
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            to_calibration(json.dumps(qms))
        except CalibrationError as exc:
            error = exc
        else:
            return
    assert error.path.startswith(("metrics.observations", "architecture")), error


def test_without_an_architecture_a_qubit_without_metrics_is_faulty() -> None:
    qms = metrics()
    qms["observations"] = [o for o in qms["observations"] if ".QB4." not in o["dut_field"]
                           and "QB4__" not in o["dut_field"] and "__QB4." not in o["dut_field"]]
    cal = to_calibration(qms)
    assert cal.num_qubits == 20  # QBn is still qubit n - 1
    assert cal.faulty_qubits == (3,)
    assert cal.qubits[3].t1 is None
