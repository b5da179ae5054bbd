"""Should a circuit compiled for an older calibration be compiled again? Rescore it, compile it
anew, compare.

>>> import qtargets
>>> from qiskit import QuantumCircuit, transpile
>>> from qtargets.recompile import check
>>> ghz = QuantumCircuit(3, 3)
>>> _ = ghz.h(0), ghz.cx(0, 1), ghz.cx(1, 2), ghz.measure(range(3), range(3))
>>> old = qtargets.target("ibm_sherbrooke@2024-06-01", live=False)
>>> compiled = transpile(ghz, target=old, layout_method="qtargets", seed_transpiler=1)
>>> advice = check(compiled, compiled_for="ibm_sherbrooke@2024-06-01",
...                now="ibm_sherbrooke@2025-03-01", live=False)
>>> advice.kept.esp_idle < advice.before.esp_idle     # the device drifted under it
True
>>> advice.recompile == (advice.gain > advice.threshold)
True

Three scores of :func:`qtargets.score`, all from the circuit as it is, never re-transpiled:

* ``before``: the compiled circuit on the calibration it was compiled for;
* ``kept``: the same compiled circuit, unchanged, on the newer calibration: what running it
  today would give;
* ``fresh``: the circuit compiled anew for the newer calibration (a method of
  :mod:`qtargets.methods`, default the ``qtargets`` layout at level 3, same seed).

The advice is to recompile when ``fresh`` beats ``kept`` by more than ``threshold`` in
``esp_idle`` (``gain = esp_idle(fresh) / esp_idle(kept) - 1``, computed from the logs so large
circuits do not underflow), and always when the compiled circuit cannot run as it is: it uses a
qubit pair (or a qubit, or an instruction) the newer calibration no longer has, or one at
error 1 (IBM's mark of a coupler it could not calibrate). What got worse is
:func:`qtargets.diff.diff_calibrations` of the two calibrations restricted to the physical
qubits and gate entries the compiled circuit uses.

Without ``original`` the fresh compile starts from the compiled circuit itself, its physical
qubits relabelled ``0..k-1``: it keeps the old routing's SWAPs (which level 3 only partly
undoes), so ``gain`` is then a lower bound; give the original circuit for the full gain.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from qiskit.circuit import Gate, QuantumCircuit, QuantumRegister
from qiskit.circuit.library import get_standard_gate_name_mapping
from qiskit.exceptions import QiskitError
from qiskit.quantum_info import Operator
from qiskit.transpiler import Target

from ._exceptions import (
    NotCompiledError,
    QTargetsError,
    RecompileError,
    ScoreError,
    error_message,
)
from .backends import QTargetsBackend
from .circuits import load_circuit
from .devices import Device, DeviceSpec, resolve_all
from .diff import DEFAULT_REL_TOL, Change, diff_calibrations
from .live import DEFAULT_TIMEOUT, StoreArg
from .methods import METHODS
from .model import UNCALIBRATED_ERROR
from .scoring import Score, score

__all__ = ["DEFAULT_THRESHOLD", "Advice", "check"]

DEFAULT_THRESHOLD = 0.05
"""Recompile when compiling anew gains more than this (5%) in ``esp_idle``."""

_NOT_OPERATIONS = frozenset({"barrier", "delay"})
_MAX_SEED = 2**32 - 1


@dataclass(frozen=True)
class Advice:
    """Whether to recompile, and the figures it rests on (module docs)."""

    recompile: bool
    reason: str
    """One line: the advice and why, e.g. ``recompile: compiling anew gains +12.8% esp_idle
    ...``."""
    required: bool
    """The compiled circuit cannot run as it is on the newer calibration (an element it uses
    is gone, or at error 1): recompiling is not a matter of gain."""
    compiled_for: str
    """The calibration it was compiled for: ``ibm_sherbrooke @ 2024-05-27 18:19 UTC``."""
    now: str
    """The newer calibration, likewise."""
    compiled_for_taken_at: datetime | None
    now_taken_at: datetime | None
    before: Score
    """The compiled circuit on the calibration it was compiled for."""
    kept: Score | None
    """The same compiled circuit on the newer calibration; ``None``: it cannot run there
    (``kept_problem`` says why)."""
    fresh: Score | None
    """The circuit compiled anew for the newer calibration; ``None``: that failed
    (``fresh_problem``)."""
    gain: float | None
    """``esp_idle(fresh) / esp_idle(kept) - 1``; ``None`` when either is missing or ``kept``
    is 0 (nothing to divide by: recompiling is required)."""
    esp_gain: float | None
    """The same for ``esp``."""
    threshold: float
    method: str
    optimization_level: int
    seed: int | None
    qubits: tuple[int, ...]
    """The physical qubits the compiled circuit uses."""
    pairs: tuple[tuple[int, ...], ...]
    """The qubit pairs its two-qubit gates use (sorted within and across)."""
    changes: tuple[Change, ...] | None
    """What changed between the two calibrations on those qubits and gate entries (any
    direction, most severe worsening first); ``None`` when either side is a bare Target."""
    kept_problem: str | None = None
    fresh_problem: str | None = None
    from_original: bool = False
    """Whether the fresh compile started from the original circuit (else from the compiled
    one, relabelled: ``gain`` is then a lower bound)."""
    recompiled: QuantumCircuit | None = field(default=None, repr=False, compare=False)
    """The circuit compiled anew: the one to run if the advice is to recompile."""

    @property
    def worse(self) -> tuple[Change, ...]:
        """The changes that hurt the compiled circuit: elements gone first, then worse
        figures, most severe first."""
        changes = self.changes or ()
        return (tuple(c for c in changes if c.direction == "disappeared")
                + tuple(c for c in changes if c.direction == "worse"))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: SI units, ISO 8601 times, ``None`` for what is unknown."""
        return {
            "recompile": self.recompile,
            "required": self.required,
            "reason": self.reason,
            "compiled_for": self.compiled_for,
            "compiled_for_taken_at": _iso(self.compiled_for_taken_at),
            "now": self.now,
            "now_taken_at": _iso(self.now_taken_at),
            "before": _figures(self.before),
            "kept": _figures(self.kept),
            "fresh": _figures(self.fresh),
            "gain": self.gain,
            "esp_gain": self.esp_gain,
            "threshold": self.threshold,
            "method": self.method,
            "optimization_level": self.optimization_level,
            "seed": self.seed,
            "from_original": self.from_original,
            "kept_problem": self.kept_problem,
            "fresh_problem": self.fresh_problem,
            "qubits": list(self.qubits),
            "pairs": [list(p) for p in self.pairs],
            "changes": None if self.changes is None else [c.to_dict() for c in self.changes],
        }


def check(
    compiled: QuantumCircuit | str | os.PathLike[str],
    *,
    compiled_for: DeviceSpec,
    now: DeviceSpec | None = None,
    original: QuantumCircuit | str | os.PathLike[str] | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    method: str = "qtargets",
    seed: int | None = 1,
    optimization_level: int = 3,
    rel_tol: float = DEFAULT_REL_TOL,
    live: bool | None = None,
    store: StoreArg = None,
    timeout: float = DEFAULT_TIMEOUT,
    retries: int = 3,
) -> Advice:
    """Whether ``compiled``, compiled for ``compiled_for``, should be compiled again for
    ``now`` (module docs).

    ``compiled``: a transpiled circuit, or a QPY or OpenQASM file of one
    (:func:`qtargets.load_circuit`), laid out on the device's physical qubits.
    ``compiled_for``, ``now``: devices in any form :mod:`qtargets.devices` takes (a Target,
    a Calibration, ``NAME@TIME``, a file...); ``now=None`` is the newest calibration of
    ``compiled_for``'s device (live, store, bundled: ``live``, ``store``). ``original``: the
    circuit before compiling, to compile anew (default: the compiled one, relabelled).
    ``rel_tol``: relative changes smaller than this are not listed in :attr:`Advice.changes`
    (calibration jitter, as in :func:`qtargets.diff.diff_calibrations`).

    Raises :class:`~qtargets.NotCompiledError` when ``compiled`` does not run on
    ``compiled_for`` as it is (a virtual circuit, or one compiled for another device), and
    :class:`~qtargets.RecompileError` for a bad argument.
    """
    _check_arguments(threshold, method, seed, optimization_level)
    if isinstance(rel_tol, bool) or not isinstance(rel_tol, (int, float)) or not (
            math.isfinite(rel_tol) and rel_tol >= 0):
        raise RecompileError(f"rel_tol must be a finite number >= 0, got {rel_tol!r}")
    circuit = compiled if isinstance(compiled, QuantumCircuit) else load_circuit(compiled)
    source = None if original is None else (
        original if isinstance(original, QuantumCircuit) else load_circuit(original))
    for what, qc in (("the compiled circuit", circuit), ("the original circuit", source)):
        if qc is not None and qc.has_control_flow_op():
            raise RecompileError(f"{what} has control flow: its path, and so its score, is "
                                 "only known at run time")

    old_device, new_device = _devices(compiled_for, now, live=live, store=store,
                                      timeout=timeout, retries=retries)
    old_target, new_target = old_device.target(), new_device.target()
    old_label, new_label = _label(old_device), _label(new_device)

    try:
        before = score(circuit, old_target)
    except ScoreError as exc:
        virtual = " (a virtual circuit: transpile it first)" if circuit.layout is None else ""
        raise NotCompiledError(
            f"the circuit is not compiled for {old_label}{virtual}: {exc}") from None

    entries = _entries(circuit)
    qubits = tuple(sorted({q for _, qargs in entries for q in qargs}))
    pairs = tuple(sorted({tuple(sorted(qargs)) for _, qargs in entries if len(qargs) == 2}))

    kept, kept_problem = _rescore(circuit, entries, qubits, new_target)
    fresh_circuit, fresh, fresh_problem = _compile_anew(
        source if source is not None else _relabelled(circuit), new_device, new_target,
        method=method, seed=seed, level=optimization_level)

    dead = [] if kept is None or math.isfinite(kept.log_esp_idle) else _dead(entries,
                                                                             new_target)
    if kept is not None and not math.isfinite(kept.log_esp_idle) and kept_problem is None:
        kept_problem = (f"it uses {_list(dead)} at error 1 (could not be calibrated)" if dead
                        else "its estimated success probability is 0")
    gain = _gain(fresh.log_esp_idle if fresh else None, kept.log_esp_idle if kept else None)
    esp_gain = _gain(fresh.log_esp if fresh else None, kept.log_esp if kept else None)
    required = kept_problem is not None
    recompile, reason = _advise(required, kept_problem, fresh, fresh_problem, gain,
                                threshold, new_label, method)

    changes = None
    if old_device.calibration is not None and new_device.calibration is not None:
        diff = diff_calibrations(old_device.calibration, new_device.calibration,
                                 rel_tol=rel_tol)
        changes = tuple(c for c in diff.changes if _touches(c, entries, qubits))
    return Advice(
        recompile=recompile, reason=reason, required=required,
        compiled_for=old_label, now=new_label,
        compiled_for_taken_at=old_device.taken_at, now_taken_at=new_device.taken_at,
        before=before, kept=kept, fresh=fresh, gain=gain, esp_gain=esp_gain,
        threshold=float(threshold), method=method, optimization_level=optimization_level,
        seed=seed, qubits=qubits, pairs=pairs, changes=changes, kept_problem=kept_problem,
        fresh_problem=fresh_problem, from_original=source is not None,
        recompiled=fresh_circuit,
    )


# -- the steps -----------------------------------------------------------------------------


def _check_arguments(threshold: float, method: str, seed: int | None, level: int) -> None:
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not (
            math.isfinite(threshold) and threshold >= 0):
        raise RecompileError(f"threshold must be a finite number >= 0 (a relative gain: 0.05 "
                             f"is 5%), got {threshold!r}")
    if method not in METHODS:
        raise RecompileError(f"method must be one of {', '.join(METHODS)} (qtargets.methods), "
                             f"got {method!r}")
    if isinstance(level, bool) or level not in range(4):
        raise RecompileError(f"optimization_level must be 0, 1, 2 or 3, got {level!r}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)
                             or not 0 <= seed <= _MAX_SEED):
        raise RecompileError(f"seed must be None or an integer from 0 to {_MAX_SEED}, got "
                             f"{seed!r}")


def _devices(compiled_for: DeviceSpec, now: DeviceSpec | None, *, live: bool | None,
             store: StoreArg, timeout: float, retries: int) -> tuple[Device, Device]:
    options: dict[str, Any] = {"live": live, "store": store, "timeout": timeout,
                               "retries": retries}
    if now is not None:
        old, new = resolve_all([compiled_for, now], **options)
        return old, new
    (old,) = resolve_all([compiled_for], **options)
    if old.calibration is None:
        raise RecompileError(f"{old.name!r} is a bare qiskit Target: its device has no name to "
                             "find a newer calibration by; give now= (the newer calibration)")
    (new,) = resolve_all([old.calibration.backend_name], **options)
    return old, new


def _entries(circuit: QuantumCircuit) -> tuple[tuple[str, tuple[int, ...]], ...]:
    """Every (instruction name, physical qubits) the circuit runs, in first-use order."""
    seen: dict[tuple[str, tuple[int, ...]], None] = {}
    for inst in circuit.data:
        name = inst.operation.name
        if name in _NOT_OPERATIONS or not inst.qubits:
            continue
        seen[(name, tuple(circuit.find_bit(q).index for q in inst.qubits))] = None
    return tuple(seen)


def _rescore(circuit: QuantumCircuit, entries: Iterable[tuple[str, tuple[int, ...]]],
             qubits: tuple[int, ...], target: Target) -> tuple[Score | None, str | None]:
    """The compiled circuit as it is on ``target``, or why it cannot run there."""
    size = int(target.num_qubits or 0)
    if qubits and qubits[-1] >= size:
        return None, f"it uses qubit {qubits[-1]} and the device has {size} qubits"
    missing = []
    for name, qargs in entries:
        if name not in target.operation_names:
            missing.append(f"instruction {name!r}")
        elif qargs not in target[name] and None not in target[name]:
            missing.append(f"{_entry(name, qargs)}")
    if missing:
        return None, (f"it uses {_list(missing)}, which the calibration does not have (gone, "
                      "or marked faulty)")
    try:
        return score(_narrowed(circuit, size), target), None
    except ScoreError as exc:
        return None, str(exc)


def _compile_anew(circuit: QuantumCircuit, device: Device, target: Target, *, method: str,
                  seed: int | None, level: int
                  ) -> tuple[QuantumCircuit | None, Score | None, str | None]:
    size = int(target.num_qubits or 0)
    if circuit.num_qubits > size:
        return None, None, f"it needs {circuit.num_qubits} qubits, the device has {size}"
    backend = QTargetsBackend(target, calibration=device.calibration, name=device.name)
    try:
        done = backend.transpile_and_score(circuit, level, seed_transpiler=seed,
                                           **METHODS[method].options)
    except (QiskitError, QTargetsError) as exc:
        return None, None, f"compiling anew ({method}) failed: {error_message(exc)}"
    return done.circuit, done.score, None


def _advise(required: bool, kept_problem: str | None, fresh: Score | None,
            fresh_problem: str | None, gain: float | None, threshold: float, now: str,
            method: str) -> tuple[bool, str]:
    if required:
        reason = f"recompile: the compiled circuit cannot run as it is on {now}: {kept_problem}"
        if fresh is None:
            reason += f"; and {fresh_problem}"
        elif not math.isfinite(fresh.log_esp_idle):
            reason += f"; compiling anew ({method}) does no better: try another method"
        return True, reason
    if fresh is None or gain is None:
        return False, f"keep: {fresh_problem or 'compiling anew gave no figures'}"
    if gain > threshold:
        return True, (f"recompile: compiling anew gains {_percent(gain, sign=True)} esp_idle on "
                      f"{now}, more than the {_percent(threshold)} threshold")
    return False, (f"keep: compiling anew gains {_percent(gain, sign=True)} esp_idle on {now}, "
                   f"not more than the {_percent(threshold)} threshold")


def _gain(fresh_log: float | None, kept_log: float | None) -> float | None:
    """``exp(fresh_log - kept_log) - 1`` without underflow; ``None`` when it has no
    meaning (a side missing, or ``kept`` 0)."""
    if fresh_log is None or kept_log is None or not math.isfinite(kept_log):
        return None
    if not math.isfinite(fresh_log):
        return -1.0
    difference = fresh_log - kept_log
    return math.inf if difference > 700.0 else math.expm1(difference)


def _dead(entries: Iterable[tuple[str, tuple[int, ...]]], target: Target) -> list[str]:
    """The entries ``target`` gives an error of 1 or more: uncalibrated couplers and the
    like."""
    found = []
    for name, qargs in entries:
        props = target[name].get(qargs) if name in target.operation_names else None
        if props is not None and props.error is not None and props.error >= UNCALIBRATED_ERROR:
            found.append(_entry(name, qargs))
    return found


def _touches(change: Change, entries: tuple[tuple[str, tuple[int, ...]], ...],
             qubits: tuple[int, ...]) -> bool:
    if change.kind == "qubit":
        return change.qubits[0] in qubits
    if change.kind in ("edge", "gate"):
        return (change.gate or "", change.qubits) in entries
    if change.kind == "instruction":
        return any(name == change.gate for name, _ in entries)
    return False  # layers and couplers are device-wide or between qubits, not gates run


# -- circuits -------------------------------------------------------------------------------


def _narrowed(circuit: QuantumCircuit, size: int) -> QuantumCircuit:
    """``circuit`` without its idle qubits from ``size`` up, unchanged otherwise (a device
    with fewer qubits may still run it); ``circuit`` itself when nothing needs to go."""
    if circuit.num_qubits <= size:
        return circuit
    out = QuantumCircuit(QuantumRegister(size, "q"), *circuit.cregs,
                         global_phase=circuit.global_phase)
    out.add_bits([b for b in circuit.clbits if not circuit.find_bit(b).registers])
    qubits = out.qubits
    for inst in circuit.data:
        mapped = [circuit.find_bit(q).index for q in inst.qubits]
        if inst.operation.name == "barrier":
            mapped = [q for q in mapped if q < size]
            if not mapped:
                continue
        out.append(inst.operation, [qubits[q] for q in mapped], inst.clbits, copy=False)
    return out


def _relabelled(circuit: QuantumCircuit) -> QuantumCircuit:
    """The compiled circuit as a virtual one to compile anew: its active physical qubits
    renumbered ``0..k-1`` in order, delays left out (scheduling comes again), barriers kept on
    active qubits, and gates an OpenQASM file defined under a standard name (``ecr``) as
    qiskit's own, so the transpiler knows them."""
    active = sorted({circuit.find_bit(q).index for inst in circuit.data
                     if inst.operation.name not in _NOT_OPERATIONS for q in inst.qubits})
    index = {physical: i for i, physical in enumerate(active)}
    out = QuantumCircuit(QuantumRegister(len(active), "q"), *circuit.cregs,
                         global_phase=circuit.global_phase)
    out.add_bits([b for b in circuit.clbits if not circuit.find_bit(b).registers])
    standard = _Standardiser()
    for inst in circuit.data:
        name = inst.operation.name
        if name == "delay":
            continue
        mapped = [index.get(circuit.find_bit(q).index) for q in inst.qubits]
        wires = [out.qubits[i] for i in mapped if i is not None]
        if name == "barrier":
            if wires:
                out.barrier(*wires)
            continue
        out.append(standard(inst.operation), wires, inst.clbits, copy=False)
    return out


class _Standardiser:
    """A gate named as one of qiskit's standard gates but of another class (an OpenQASM
    file's own ``gate ecr ...``) becomes that standard gate when their matrices agree (up to
    global phase); anything else is kept as it is."""

    def __init__(self) -> None:
        self._standard = get_standard_gate_name_mapping()
        self._done: dict[tuple[str, tuple[Any, ...]], Any] = {}

    def __call__(self, op: Any) -> Any:
        model = self._standard.get(op.name)
        if (model is None or type(op) is type(model) or not isinstance(op, Gate)
                or not isinstance(model, Gate) or op.num_qubits != model.num_qubits
                or len(op.params) != len(model.params)):
            return op
        try:
            key = (op.name, tuple(float(p) for p in op.params))
        except (TypeError, ValueError):  # unbound parameters: no matrix to compare
            return op
        if key not in self._done:
            self._done[key] = op
            try:
                candidate = type(model)(*key[1])
                if Operator(op).equiv(Operator(candidate)):
                    self._done[key] = candidate
            except (QiskitError, TypeError, ValueError):
                pass  # no definition to compare: keep the file's gate
        return self._done[key]


# -- words ---------------------------------------------------------------------------------


def _label(device: Device) -> str:
    taken = device.taken_at
    if taken is None:
        return device.name
    return f"{device.name} @ {taken.astimezone(timezone.utc):%Y-%m-%d %H:%M} UTC"


def _entry(name: str, qargs: tuple[int, ...]) -> str:
    return f"{name} {'-'.join(map(str, qargs))}"


def _list(items: list[str], most: int = 3) -> str:
    shown = ", ".join(items[:most])
    return shown + (f" and {len(items) - most} more" if len(items) > most else "")


def _percent(x: float, *, sign: bool = False) -> str:
    if math.isinf(x):
        return "+inf%" if x > 0 else "-inf%"
    return f"{x * 100:{'+' if sign else ''}.3g}%"


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _figures(s: Score | None) -> dict[str, Any] | None:
    if s is None:
        return None
    return {"esp_idle": s.esp_idle, "esp": s.esp, "log_esp_idle": s.log_esp_idle,
            "log_esp": s.log_esp, "duration": s.duration,
            "two_qubit_gates": s.two_qubit_gates, "depth": s.depth,
            "unknown_errors": s.unknown_errors}
