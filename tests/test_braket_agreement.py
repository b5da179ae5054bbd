"""One IonQ device, two channels: IonQ's own API and AWS Braket give the same Target.

No real Braket document of IonQ Forte-1 from the same day as an IonQ characterization of it
exists that we could find (the one real IonQ document on Braket we have is Forte
Enterprise's, tests/data/braket/). So the Braket channel's document is **built here from
IonQ's numbers**: the figures qtargets bundles for ``qpu.forte-1``
(scripts/make_bundled_ionq.py, IonQ's published Forte figures), placed exactly where
Braket's IonQ documents carry them. The layout of every block is the real Forte Enterprise
document's: the IonQ provider block (``fidelity`` 1Q/2Q/spam means, ``timing`` T1/T2/1Q/2Q/
readout in seconds) and the standardized v3 summary (T1, T2, readout fidelity and duration,
one-qubit gate duration, two-qubit fidelity and duration), with the real document's numbers
replaced by IonQ's and nothing else changed. IonQ Aria is checked the same way, from
``qpu.aria-1``'s figures, with Aria's native gate set (``GPI``, ``GPI2``, ``MS``) and without
the T1/T2 IonQ does not publish for it. The second test holds the real document's two blocks
to each other.
"""

from __future__ import annotations

import copy
import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest
from qiskit.transpiler import Target

import qtargets
from qtargets.braket import from_braket, to_calibration

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT / "tests" / "data" / "braket" / "ionq_forte_enterprise_device_capabilities.json"
NAME = "braket.us-east-1.ionq.Forte-1"
NATIVE = {"qpu.forte-1": ["GPI", "GPI2", "ZZ"], "qpu.aria-1": ["GPI", "GPI2", "MS"]}


def bundled_figures(backend: str = "qpu.forte-1") -> dict[str, Any]:
    """The figures ``backend`` is bundled from: IonQ's published figures of the device."""
    spec = importlib.util.spec_from_file_location("make_bundled_ionq",
                                                  ROOT / "scripts" / "make_bundled_ionq.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    figures: dict[str, Any] = module.DEVICES[backend]
    return figures


def braket_document(figures: dict[str, Any], native: list[str] | None = None
                    ) -> dict[str, Any]:
    """The real Forte Enterprise document with IonQ's numbers in every figure (figures IonQ
    does not publish left out of both blocks)."""
    doc = copy.deepcopy(json.loads(REAL.read_text(encoding="utf-8")))
    fidelity, timing, n = figures["fidelity"], figures["timing"], figures["qubits"]
    doc["paradigm"]["qubitCount"] = n
    doc["paradigm"]["connectivity"]["connectivityGraph"] = {
        str(a): [str(b) for b in range(n) if b != a] for a in range(n)}
    assert doc["paradigm"]["nativeGateSet"] == ["GPI", "GPI2", "ZZ"]  # Forte's, as is
    if native is not None:
        doc["paradigm"]["nativeGateSet"] = native
    provider = doc["provider"]
    provider["fidelity"] = {"1Q": {"mean": fidelity["1q"]}, "2Q": {"mean": fidelity["2q"]},
                            "spam": {"mean": fidelity["spam"]}}
    provider["timing"] = {key: timing[ours] for key, ours in (
        ("T1", "t1"), ("T2", "t2"), ("1Q", "1q"), ("2Q", "2q"), ("readout", "readout"))
        if ours in timing}
    v3 = doc["standardized"]
    for key, ours in (("T1", "t1"), ("T2", "t2")):
        if ours in timing:
            v3[key] = {"value": timing[ours], "unit": "s"}
        else:
            del v3[key]
    v3["readoutFidelity"][0]["fidelity"] = fidelity["spam"]
    v3["readoutDuration"] = {"value": timing["readout"], "unit": "s"}
    v3["singleQubitGateDuration"] = {"value": timing["1q"], "unit": "s"}
    v3["twoQubitGateFidelity"][0]["fidelity"] = fidelity["2q"]
    v3["twoQubitGateDuration"] = {"value": timing["2q"], "unit": "s"}
    # IonQ publishes no reset time or date with these figures: left out of both blocks
    for key in ("activeResetDuration", "updatedAt"):
        del v3[key]
    del doc["service"]["updatedAt"]
    return doc


def properties(target: Target) -> dict[str, dict[tuple[int, ...], tuple[Any, Any]]]:
    return {name: {qargs: (None if p is None else (p.error, p.duration))
                   for qargs, p in target[name].items()}
            for name in target.operation_names}


def test_ionq_forte_through_ionq_and_through_braket_gives_the_same_target() -> None:
    figures = bundled_figures()
    ionq = qtargets.load_target("qpu.forte-1")  # IonQ's channel
    braket = from_braket(braket_document(figures), name=NAME)

    # qubit count and connectivity: every pair, both ways
    assert braket.num_qubits == ionq.num_qubits == figures["qubits"]
    assert set(braket.build_coupling_map().get_edges()) == set(
        ionq.build_coupling_map().get_edges())
    # native gates: the same names, the same gate classes, the same parameters (turns)
    assert set(braket.operation_names) == set(ionq.operation_names) == {
        "gpi", "gpi2", "zz", "measure"}
    for name in ("gpi", "gpi2", "zz"):
        ours, theirs = braket.operation_from_name(name), ionq.operation_from_name(name)
        assert type(ours) is type(theirs)
        assert [p.name for p in ours.params] == [p.name for p in theirs.params]
    # 1q and 2q errors, readout errors, gate and readout durations: on every qargs
    assert properties(braket) == properties(ionq)
    assert braket["zz"][(0, 1)].error == 1.0 - figures["fidelity"]["2q"]
    assert braket["gpi"][(5,)].duration == figures["timing"]["1q"]
    assert braket["measure"][(7,)].error == 1.0 - figures["fidelity"]["spam"]
    # T1 and T2, which both publish
    assert [(q.t1, q.t2) for q in braket.qubit_properties] == [
        (q.t1, q.t2) for q in ionq.qubit_properties]
    assert braket.qubit_properties[0].t1 == figures["timing"]["t1"]
    # and the neutral calibrations agree on what a Target leaves out
    ionq_cal = qtargets.load_calibration("qpu.forte-1")
    braket_cal = to_calibration(braket_document(figures), name=NAME)
    assert braket_cal.qubits == ionq_cal.qubits  # readout duration too
    assert braket_cal.taken_at is ionq_cal.taken_at is None  # neither channel dates these


def test_ionq_aria_through_ionq_and_through_braket_gives_the_same_target() -> None:
    figures = bundled_figures("qpu.aria-1")
    ionq = qtargets.load_target("qpu.aria-1")
    braket = from_braket(braket_document(figures, NATIVE["qpu.aria-1"]),
                         name="braket.us-east-1.ionq.Aria-1")
    assert braket.num_qubits == ionq.num_qubits == 25
    assert set(braket.operation_names) == set(ionq.operation_names) == {
        "gpi", "gpi2", "ms", "measure"}
    ours, theirs = braket.operation_from_name("ms"), ionq.operation_from_name("ms")
    assert type(ours) is type(theirs)
    assert [p.name for p in ours.params] == [p.name for p in theirs.params]  # phi0 phi1 theta
    assert properties(braket) == properties(ionq)
    assert braket.qubit_properties is ionq.qubit_properties is None  # no T1/T2 published


def test_the_real_documents_ionq_block_and_standardized_block_agree() -> None:
    real = json.loads(REAL.read_text(encoding="utf-8"))
    both = to_calibration(real, name=NAME)  # a disagreement would warn (an error here)
    provider_only = copy.deepcopy(real)
    del provider_only["standardized"]
    standardized_only = copy.deepcopy(real)
    del standardized_only["provider"]
    a = to_calibration(provider_only, name=NAME)
    b = to_calibration(standardized_only, name=NAME)
    assert a.qubits == both.qubits
    assert (b.qubits[0].t1, b.qubits[0].t2, b.qubits[0].readout_error) == (
        both.qubits[0].t1, both.qubits[0].t2, both.qubits[0].readout_error)
    for name in ("zz", "measure"):
        assert a.instruction(name) == both.instruction(name) == b.instruction(name)
    # v3 of this document has no one-qubit fidelity: only IonQ's block gives it
    assert {g.error for g in b.instruction("gpi").qargs or ()} == {None}
    assert {g.error for g in a.instruction("gpi").qargs or ()} == {1.0 - 0.9999}


def test_the_agreement_fails_when_a_figure_is_misplaced() -> None:
    figures = bundled_figures()
    doc = braket_document(figures)
    doc["provider"]["timing"]["1Q"], doc["provider"]["timing"]["2Q"] = (
        doc["provider"]["timing"]["2Q"], doc["provider"]["timing"]["1Q"])
    with pytest.warns(qtargets.QTargetsWarning, match="differ"):
        swapped = from_braket(doc, name=NAME)
    assert properties(swapped) != properties(qtargets.load_target("qpu.forte-1"))
