"""Recompile advice (qtargets.recompile, ``qtargets check``) on the bundled real history.

Circuits are compiled with the qtargets layout on a real calibration of one day (ibm_sherbrooke
2024-05-27, ibm_torino 2024-02-28), written as QPY and as OpenQASM, and checked on the real
calibration of 2025-02-26. Every figure of the advice is compared with ``qtargets.score``
computed here, independently.
"""

from __future__ import annotations

import dataclasses
import doctest
import io
import json
import math
from pathlib import Path

import pytest
from qiskit import QuantumCircuit, qasm2, qasm3, qpy, transpile
from qiskit.transpiler import Target
from typer.testing import CliRunner

import qtargets
import qtargets.recompile
from qtargets import (
    Calibration,
    CalibrationStore,
    CircuitFileError,
    NotCompiledError,
    RecompileError,
)
from qtargets.bundled import bundled_history
from qtargets.cli import app
from qtargets.recompile import Advice, check
from small_circuits import ghz_into_bits as ghz

runner = CliRunner()

SHERBROOKE_2024 = bundled_history("ibm_sherbrooke")[1]  # 2024-05-27 18:19 UTC, real
SHERBROOKE_2025 = bundled_history("ibm_sherbrooke")[2]  # 2025-02-26 19:43 UTC, real
TORINO_2024, TORINO_2025 = bundled_history("ibm_torino")  # 2024-02-28, 2025-02-26, real


def qft(n: int) -> QuantumCircuit:
    """The textbook QFT (controlled phases and swaps), measured."""
    circuit = QuantumCircuit(n, n)
    for j in reversed(range(n)):
        circuit.h(j)
        for k in reversed(range(j)):
            circuit.cp(math.pi / 2 ** (j - k), k, j)
    for i in range(n // 2):
        circuit.swap(i, n - 1 - i)
    circuit.measure(range(n), range(n))
    return circuit


def bell() -> QuantumCircuit:
    return ghz(2)


def compile_for(circuit: QuantumCircuit, cal: Calibration, **options: object) -> QuantumCircuit:
    options = {"layout_method": "qtargets", "optimization_level": 3, "seed_transpiler": 1,
               **options}
    compiled: QuantumCircuit = transpile(circuit, target=qtargets.build_target(cal),
                                         **options)
    return compiled


def write_qpy(circuit: QuantumCircuit, path: Path) -> Path:
    with path.open("wb") as file:
        qpy.dump(circuit, file)
    return path


@pytest.fixture(scope="module")
def ghz8_2024() -> QuantumCircuit:
    """GHZ-8 compiled with the qtargets layout for ibm_sherbrooke on 2024-05-27."""
    return compile_for(ghz(8), SHERBROOKE_2024)


@pytest.fixture(scope="module")
def ghz8_advice(ghz8_2024: QuantumCircuit) -> Advice:
    return check(ghz8_2024, compiled_for=SHERBROOKE_2024, now=SHERBROOKE_2025)


# -- the figures ----------------------------------------------------------------------------


def test_the_three_scores_are_those_qtargets_score_gives(ghz8_2024: QuantumCircuit,
                                                         ghz8_advice: Advice) -> None:
    advice = ghz8_advice
    assert advice.before == qtargets.score(ghz8_2024, SHERBROOKE_2024)
    # the compiled circuit rescored as it is on the new day, never transpiled again
    assert advice.kept == qtargets.score(ghz8_2024, SHERBROOKE_2025)
    assert advice.recompiled is not None
    assert advice.fresh == qtargets.score(advice.recompiled, SHERBROOKE_2025)
    assert advice.kept is not None
    assert advice.fresh is not None
    assert advice.gain == pytest.approx(advice.fresh.esp_idle / advice.kept.esp_idle - 1,
                                        rel=1e-12)
    assert advice.esp_gain == pytest.approx(advice.fresh.esp / advice.kept.esp - 1, rel=1e-12)
    assert (advice.compiled_for, advice.now) == ("ibm_sherbrooke @ 2024-05-27 18:19 UTC",
                                                 "ibm_sherbrooke @ 2025-02-26 19:43 UTC")


def test_a_drifted_device_makes_recompiling_worth_it(ghz8_advice: Advice) -> None:
    advice = ghz8_advice
    assert advice.kept is not None
    assert advice.fresh is not None
    assert advice.kept.esp_idle < advice.before.esp_idle  # ten months of drift under it
    assert advice.gain is not None
    assert advice.gain > 0.05
    assert advice.recompile
    assert not advice.required
    assert advice.reason.startswith(
        f"recompile: compiling anew gains {advice.gain * 100:+.3g}% esp_idle on "
        "ibm_sherbrooke @ 2025-02-26 19:43 UTC")
    assert "more than the 5% threshold" in advice.reason


def test_the_fresh_compile_uses_the_method_level_and_seed_asked_for(
        ghz8_2024: QuantumCircuit, ghz8_advice: Advice) -> None:
    relabelled = qtargets.recompile._relabelled(ghz8_2024)
    assert relabelled.num_qubits == 8
    expected = compile_for(relabelled, SHERBROOKE_2025)
    assert ghz8_advice.fresh == qtargets.score(expected, SHERBROOKE_2025)
    trivial = check(ghz8_2024, compiled_for=SHERBROOKE_2024, now=SHERBROOKE_2025,
                    method="trivial", optimization_level=1, seed=7)
    assert trivial.recompiled is not None
    assert trivial.fresh == qtargets.score(
        compile_for(relabelled, SHERBROOKE_2025, layout_method="trivial",
                    optimization_level=1, seed_transpiler=7), SHERBROOKE_2025)
    assert trivial.recompiled.layout.initial_index_layout()[:8] == list(range(8))


def test_the_changes_are_the_diff_restricted_to_what_the_circuit_uses(
        ghz8_2024: QuantumCircuit, ghz8_advice: Advice) -> None:
    used = {(inst.operation.name, tuple(ghz8_2024.find_bit(q).index for q in inst.qubits))
            for inst in ghz8_2024.data}
    qubits = {q for _, qargs in used for q in qargs}
    assert set(ghz8_advice.qubits) == qubits
    assert len(qubits) == 8
    assert len(ghz8_advice.pairs) == 7
    whole = qtargets.diff.diff_calibrations(SHERBROOKE_2024, SHERBROOKE_2025)
    expected = [c for c in whole.changes
                if (c.kind == "qubit" and c.qubits[0] in qubits)
                or (c.kind in ("edge", "gate") and (c.gate, c.qubits) in used)]
    assert list(ghz8_advice.changes or ()) == expected
    assert len(whole.changes) > 10 * len(expected)  # the device changed far more elsewhere
    assert ghz8_advice.worse
    assert all(c.direction == "worse" for c in ghz8_advice.worse)


# -- files ----------------------------------------------------------------------------------


def test_qpy_and_openqasm_files_of_the_compiled_circuit_give_the_same_advice(
        ghz8_2024: QuantumCircuit, ghz8_advice: Advice, tmp_path: Path) -> None:
    files = [write_qpy(ghz8_2024, tmp_path / "ghz8.qpy"), tmp_path / "ghz8.qasm",
             tmp_path / "ghz8-3.qasm"]
    files[1].write_text(qasm2.dumps(ghz8_2024))
    files[2].write_text(qasm3.dumps(ghz8_2024))
    for file in files:
        advice = check(file, compiled_for=SHERBROOKE_2024, now=SHERBROOKE_2025)
        assert advice.recompile == ghz8_advice.recompile, file.name
        assert advice.required == ghz8_advice.required
        assert advice.changes == ghz8_advice.changes
        assert advice.before.esp_idle == pytest.approx(ghz8_advice.before.esp_idle, rel=1e-9)
        assert advice.kept is not None
        assert ghz8_advice.kept is not None
        assert advice.kept.esp_idle == pytest.approx(ghz8_advice.kept.esp_idle, rel=1e-9)
        # OpenQASM drops the global phase and defines ecr itself: the fresh compile (of the
        # same unitary) may take a slightly different route
        assert advice.fresh is not None
        assert ghz8_advice.fresh is not None
        assert advice.fresh.esp_idle == pytest.approx(ghz8_advice.fresh.esp_idle, rel=0.02)


def test_qpy_keeps_the_layout_and_loads_as_the_same_circuit(ghz8_2024: QuantumCircuit,
                                                             tmp_path: Path) -> None:
    loaded = qtargets.load_circuit(write_qpy(ghz8_2024, tmp_path / "c.qpy"))
    assert loaded == ghz8_2024
    assert loaded.layout is not None
    assert loaded.layout.initial_index_layout() == ghz8_2024.layout.initial_index_layout()


def test_a_qpy_file_is_recognised_by_its_header_whatever_its_suffix(tmp_path: Path) -> None:
    path = write_qpy(bell(), tmp_path / "bell.bin")
    assert qtargets.load_circuit(path) == bell()


@pytest.mark.parametrize(("content", "reason"), [
    (b"", "not a QPY file"),
    (b"OPENQASM 2.0;", "not a QPY file"),
    ("cut", "damaged QPY file"),
    ("two", "holds 2 circuits"),
])
def test_a_damaged_qpy_file_is_a_circuit_file_error_naming_it(
        content: bytes | str, reason: str, tmp_path: Path) -> None:
    if content in ("cut", "two"):
        buffer = io.BytesIO()
        qpy.dump([bell(), bell()] if content == "two" else bell(), buffer)
        data = buffer.getvalue()
        content = data if content == "two" else data[: len(data) // 2]
    assert isinstance(content, bytes)
    path = tmp_path / "bad.qpy"
    path.write_bytes(content)
    with pytest.raises(CircuitFileError, match=reason) as caught:
        qtargets.load_circuit(path)
    assert caught.value.path == str(path)
    assert "\x1b" not in str(caught.value)
    assert "\n" not in str(caught.value)


# -- the threshold --------------------------------------------------------------------------


def test_the_advice_is_to_recompile_only_above_the_threshold(ghz8_2024: QuantumCircuit,
                                                             ghz8_advice: Advice) -> None:
    gain = ghz8_advice.gain
    assert gain is not None

    def advice(threshold: float) -> Advice:
        return check(ghz8_2024, compiled_for=SHERBROOKE_2024, now=SHERBROOKE_2025,
                     threshold=threshold)

    below, at, above = advice(gain * (1 - 1e-9)), advice(gain), advice(gain * (1 + 1e-9))
    assert below.recompile
    assert not at.recompile  # the gain must exceed the threshold
    assert not above.recompile
    assert above.reason.startswith(f"keep: compiling anew gains {gain * 100:+.3g}% esp_idle")
    assert f"not more than the {gain * 100:.3g}% threshold" in above.reason
    assert below.gain == at.gain == above.gain == gain  # same seed, same fresh compile


def test_the_same_calibration_advises_keeping(ghz8_2024: QuantumCircuit) -> None:
    advice = check(ghz8_2024, compiled_for=SHERBROOKE_2024, now=SHERBROOKE_2024)
    assert advice.before == advice.kept
    assert not advice.recompile
    assert advice.worse == ()


# -- circuits that cannot run as they are ---------------------------------------------------


def test_a_real_coupler_that_died_forces_recompiling() -> None:
    # Real: ibm_sherbrooke's ecr 85-84 had error 6.6e-3 on 2024-05-27 and IBM's error 1
    # ("could not be calibrated") on 2025-02-26.
    compiled = compile_for(bell(), SHERBROOKE_2024, initial_layout=[85, 84],
                           layout_method=None)
    advice = check(compiled, compiled_for=SHERBROOKE_2024, now=SHERBROOKE_2025)
    assert advice.pairs == ((84, 85),)
    assert advice.kept is not None
    assert advice.kept.esp_idle == 0.0
    assert advice.recompile
    assert advice.required
    assert advice.gain is None
    assert "ecr 85-84 at error 1" in advice.reason
    dead = [c for c in advice.worse if c.gate == "ecr"]
    assert len(dead) == 1
    assert (dead[0].qubits, dead[0].new) == ((85, 84), 1.0)
    assert dead[0].old == pytest.approx(6.6e-3, abs=1e-4)
    # the qtargets layout routes around the dead coupler
    assert advice.fresh is not None
    assert advice.fresh.esp_idle > 0.9
    assert advice.recompiled is not None
    assert all(tuple(advice.recompiled.find_bit(q).index for q in inst.qubits) != (85, 84)
               for inst in advice.recompiled.data)


def test_a_real_pair_that_is_gone_forces_recompiling() -> None:
    # Real: ecr 84-83 is in ibm_sherbrooke's calibration of 2024-05-27, not in 2025-02-26's
    compiled = compile_for(bell(), SHERBROOKE_2024, initial_layout=[84, 83],
                           layout_method=None)
    advice = check(compiled, compiled_for=SHERBROOKE_2024, now=SHERBROOKE_2025)
    assert advice.kept is None
    assert advice.recompile
    assert advice.required
    assert "it uses ecr 84-83, which the calibration does not have" in advice.reason
    assert advice.worse[0].label == "ecr 84-83"
    assert advice.worse[0].direction == "disappeared"
    assert advice.fresh is not None


def test_a_pair_marked_faulty_in_the_newer_calibration_forces_recompiling(
        ghz8_2024: QuantumCircuit, ghz8_advice: Advice) -> None:
    # Built for the test from the real 2025 calibration: one pair the circuit uses is marked
    # non-operational (so the Target leaves it out), nothing else changed.
    used = ghz8_advice.pairs[0]
    ecr = next(i for i in SHERBROOKE_2025.instructions if i.name == "ecr")
    assert ecr.qargs is not None
    qargs = tuple(g._replace(operational=False) if tuple(sorted(g.qubits)) == used else g
                  for g in ecr.qargs)
    broken = dataclasses.replace(SHERBROOKE_2025, instructions=tuple(
        dataclasses.replace(i, qargs=qargs) if i is ecr else i
        for i in SHERBROOKE_2025.instructions))
    advice = check(ghz8_2024, compiled_for=SHERBROOKE_2024, now=broken)
    assert advice.kept is None
    assert advice.required
    assert f"ecr {'-'.join(map(str, used))}" in advice.reason or (
        f"ecr {used[1]}-{used[0]}" in advice.reason)
    assert any(c.quantity == "operational" for c in advice.worse)


def test_a_newer_device_too_small_for_the_compiled_qubits_forces_recompiling() -> None:
    # ibm_miami (120 qubits, real 2026-04-17 calibration) cannot hold sherbrooke's qubit 123
    sherbrooke = qtargets.build_target(SHERBROOKE_2025)
    pair = next(q for q in sherbrooke["ecr"] if q is not None and min(q) > 120)
    compiled = transpile(bell(), target=sherbrooke, initial_layout=list(pair),
                         seed_transpiler=1)
    advice = check(compiled, compiled_for=SHERBROOKE_2025, now="ibm_miami", live=False)
    assert advice.kept is None
    assert advice.required
    assert f"it uses qubit {max(pair)} and the device has 120 qubits" in advice.reason
    assert advice.fresh is not None  # compiled anew for ibm_miami's own gates


def test_a_virtual_circuit_is_a_not_compiled_error() -> None:
    with pytest.raises(NotCompiledError, match=r"not compiled for ibm_sherbrooke @ 2024-05-27"
                                               r".*a virtual circuit.*'cx'"):
        check(ghz(3), compiled_for=SHERBROOKE_2024, now=SHERBROOKE_2025)


def test_a_circuit_compiled_for_another_device_is_a_not_compiled_error() -> None:
    compiled = compile_for(ghz(3), TORINO_2024)
    with pytest.raises(NotCompiledError, match="133 qubits on a 127-qubit device"):
        check(compiled, compiled_for=SHERBROOKE_2024, now=SHERBROOKE_2025)


@pytest.mark.parametrize(("options", "message"), [
    ({"threshold": -0.1}, "threshold must be"),
    ({"threshold": math.nan}, "threshold must be"),
    ({"method": "fastest"}, "method must be one of"),
    ({"optimization_level": 4}, "optimization_level must be"),
    ({"seed": -1}, "seed must be"),
    ({"rel_tol": math.inf}, "rel_tol must be"),
])
def test_bad_arguments_are_recompile_errors(ghz8_2024: QuantumCircuit,
                                            options: dict[str, object], message: str) -> None:
    with pytest.raises(RecompileError, match=message):
        check(ghz8_2024, compiled_for=SHERBROOKE_2024, now=SHERBROOKE_2025,
              **options)  # type: ignore[arg-type]


def test_a_bare_target_needs_now_and_gives_no_changes(ghz8_2024: QuantumCircuit) -> None:
    old = qtargets.build_target(SHERBROOKE_2024)
    with pytest.raises(RecompileError, match="give now="):
        check(ghz8_2024, compiled_for=old)
    advice = check(ghz8_2024, compiled_for=old, now=qtargets.build_target(SHERBROOKE_2025))
    assert advice.changes is None
    assert advice.kept is not None
    assert isinstance(old, Target)


# -- a second device, with the original circuit ---------------------------------------------


def test_torino_qft_with_the_original_circuit(tmp_path: Path) -> None:
    original = qft(5)
    compiled = compile_for(original, TORINO_2024)
    qpy_file = write_qpy(compiled, tmp_path / "qft5.qpy")
    qasm_file = tmp_path / "qft5.qasm"
    qasm_file.write_text(qasm2.dumps(compiled))
    source = tmp_path / "qft5-source.qasm"
    source.write_text(qasm2.dumps(original))
    by_qpy = check(qpy_file, compiled_for="ibm_torino@2024-03-01", now=TORINO_2025,
                   original=source, live=False)
    by_qasm = check(qasm_file, compiled_for="ibm_torino@2024-03-01", now=TORINO_2025,
                    original=original, live=False)
    for advice in (by_qpy, by_qasm):
        assert advice.from_original
        assert advice.recompiled is not None
        assert advice.before == qtargets.score(compiled, TORINO_2024)
        assert advice.kept == qtargets.score(compiled, TORINO_2025)
        assert advice.fresh == qtargets.score(advice.recompiled, TORINO_2025)
        assert advice.fresh == qtargets.score(compile_for(original, TORINO_2025), TORINO_2025)
    assert by_qpy.recompile == by_qasm.recompile
    assert by_qpy.gain == pytest.approx(by_qasm.gain, rel=1e-9)
    assert by_qpy.compiled_for.startswith("ibm_torino @ 2024-02-28")


def test_the_module_example_runs() -> None:
    assert doctest.testmod(qtargets.recompile).failed == 0


# -- the command ----------------------------------------------------------------------------


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["check", *args])
    return result.exit_code, result.stdout, result.stderr


def test_check_prints_the_figures_and_the_advice(ghz8_2024: QuantumCircuit,
                                                 ghz8_advice: Advice, tmp_path: Path) -> None:
    path = write_qpy(ghz8_2024, tmp_path / "ghz8.qpy")
    code, out, _ = run(str(path), "--compiled-for", "ibm_sherbrooke@2024-06-01", "--offline")
    assert code == 0
    assert "ghz8.qpy: compiled for ibm_sherbrooke @ 2024-05-27 18:19 UTC" in out
    assert f"{ghz8_advice.before.esp_idle:.3g}" in out
    assert ghz8_advice.reason in " ".join(out.split())
    assert "Worse on its 8 qubits and 7 pairs" in out


def test_check_json_has_every_figure_and_exit_code_flags_recompiling(
        ghz8_2024: QuantumCircuit, ghz8_advice: Advice, tmp_path: Path) -> None:
    path = write_qpy(ghz8_2024, tmp_path / "ghz8.qpy")
    code, out, _ = run(str(path), "--compiled-for", "ibm_sherbrooke@2024-06-01",
                       "--on", "ibm_sherbrooke@2025-03-01", "--offline", "--json",
                       "--exit-code")
    assert code == 1  # recompile
    data = json.loads(out)
    assert data["recompile"] is True
    assert data["circuit"] == str(path)
    assert data["kept"]["esp_idle"] == ghz8_advice.kept.esp_idle  # type: ignore[union-attr]
    assert data["gain"] == ghz8_advice.gain
    assert len(data["changes"]) == len(ghz8_advice.changes or ())
    code, _, _ = run(str(path), "--compiled-for", "ibm_sherbrooke@2024-06-01", "--offline",
                     "--threshold", "0.5", "--exit-code")
    assert code == 0  # keep


def test_check_finds_the_newer_calibration_in_the_store(tmp_path: Path) -> None:
    # Built for the test from the real 2025-02-26 calibration: a day later, with the coupler
    # the compiled circuit uses at error 1; saved in the test's own store (QTARGETS_STORE).
    compiled = compile_for(bell(), SHERBROOKE_2024)
    (pair,) = {tuple(compiled.find_bit(q).index for q in inst.qubits)
               for inst in compiled.data if inst.operation.name == "ecr"}
    ecr = next(i for i in SHERBROOKE_2025.instructions if i.name == "ecr")
    assert ecr.qargs is not None
    assert pair in {g.qubits for g in ecr.qargs}
    qargs = tuple(g._replace(error=1.0) if g.qubits == pair else g for g in ecr.qargs)
    assert SHERBROOKE_2025.taken_at is not None
    later = dataclasses.replace(
        SHERBROOKE_2025, taken_at=SHERBROOKE_2025.taken_at.replace(day=27),
        instructions=tuple(dataclasses.replace(i, qargs=qargs) if i is ecr else i
                           for i in SHERBROOKE_2025.instructions))
    with CalibrationStore() as store:
        store.save(later)
    path = write_qpy(compiled, tmp_path / "bell.qpy")
    code, out, _ = run(str(path), "--compiled-for", "ibm_sherbrooke@2024-06-01", "--offline",
                       "--json")
    assert code == 0
    data = json.loads(out)
    assert data["now_taken_at"] == "2025-02-27T19:43:10+00:00"  # the stored day, not bundled
    assert data["recompile"]
    assert data["required"]
    assert f"ecr {pair[0]}-{pair[1]} at error 1" in data["reason"]


@pytest.mark.parametrize(("make", "fragments"), [
    (lambda d: d / "missing.qpy", ["missing.qpy", "no such circuit file"]),
    (lambda d: _text(d / "notes.txt", "hello"), ["notes.txt", "not an OpenQASM file"]),
    (lambda d: _bytes(d / "bad.qpy", b"QISKIT\x0c"), ["bad.qpy", "damaged QPY file"]),
])
def test_check_bad_files_are_one_red_line_and_exit_2(make: object, fragments: list[str],
                                                     tmp_path: Path) -> None:
    path = make(tmp_path)  # type: ignore[operator]
    code, out, err = run(str(path), "--compiled-for", "ibm_sherbrooke@2024-06-01",
                         "--offline")
    assert code == 2
    assert out == ""
    assert_one_line_error(err, *fragments)


def test_check_unknown_device_and_virtual_circuit_are_one_red_line_and_exit_2(
        tmp_path: Path) -> None:
    virtual = tmp_path / "ghz3.qasm"
    virtual.write_text(qasm2.dumps(ghz(3)))
    code, _, err = run(str(virtual), "--compiled-for", "ibm_nowhere", "--offline")
    assert code == 2
    assert_one_line_error(err, "ibm_nowhere")
    code, _, err = run(str(virtual), "--compiled-for", "ibm_sherbrooke@2024-06-01",
                       "--offline")
    assert code == 2
    assert_one_line_error(err, "not compiled for ibm_sherbrooke", "virtual circuit")
    code, _, err = run(str(virtual), "--compiled-for", "ibm_sherbrooke", "--threshold",
                       "-1")
    assert code == 2
    assert_one_line_error(err, "--threshold")


def assert_one_line_error(stderr: str, *fragments: str) -> None:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: ")
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def _text(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def _bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path
