"""The parity reference: qiskit-ibm-runtime's converter and its real calibration snapshots."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import qiskit_ibm_runtime.fake_provider.backends as _snapshots
from qiskit.transpiler import Target
from qiskit_ibm_runtime.models import BackendConfiguration, BackendProperties
from qiskit_ibm_runtime.utils.backend_converter import convert_to_target

SNAPSHOT_DIR = Path(_snapshots.__file__).parent


@dataclass(frozen=True)
class Snapshot:
    """One real (configuration, properties) pair shipped with qiskit-ibm-runtime."""

    id: str
    conf_path: Path
    props_path: Path

    def conf(self) -> dict[str, Any]:
        return json.loads(self.conf_path.read_bytes())

    def props(self) -> dict[str, Any]:
        return json.loads(self.props_path.read_bytes())


def snapshots() -> list[Snapshot]:
    out = []
    for conf in sorted(SNAPSHOT_DIR.glob("*/conf_*.json")):
        for props in sorted(conf.parent.glob("props_*.json")):
            out.append(Snapshot(props.stem.removeprefix("props_"), conf, props))
    return out


def reference_target(conf: dict[str, Any], props: dict[str, Any] | None, **kwargs: Any) -> Target:
    """What qiskit-ibm-runtime builds (its fake backends use exactly these flags)."""
    kwargs.setdefault("include_control_flow", True)
    kwargs.setdefault("include_fractional_gates", True)
    configuration = BackendConfiguration.from_dict(json.loads(json.dumps(conf)))
    properties = BackendProperties.from_dict(json.loads(json.dumps(props))) if props else None
    return convert_to_target(configuration, properties, **kwargs)


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=0.0)


# qiskit has no getter for angle bounds, so compare which angles each Target accepts.
_ANGLE_PROBES = (-3.2, -1.6, -0.01, 0.0, 0.7, math.pi / 2, 1.58, 3.2)


def _bounds_signature(target: Target, name: str) -> tuple[bool, ...] | None:
    if not target.gate_has_angle_bounds(name):
        return None
    width = len(target.operation_from_name(name).params)
    return tuple(target.supported_angle_bound(name, [a] * width) for a in _ANGLE_PROBES)


def target_differences(
    ours: Target, ref: Target, *, forgive_ideal_on: frozenset[int] = frozenset()
) -> list[str]:
    """Every way two Targets differ, as readable lines (empty when identical).

    ``forgive_ideal_on``: faulty qubits on which the reference wrongly keeps gates that have
    no calibration data (ideal, ``None`` properties); those reference entries are skipped.
    This is deliberate difference 2 in docs/ibm.md, and nothing else is forgiven.
    """
    diffs: list[str] = []
    for attr in ("num_qubits", "granularity", "min_length", "pulse_alignment",
                 "acquire_alignment"):
        if getattr(ours, attr) != getattr(ref, attr):
            diffs.append(f"{attr}: {getattr(ours, attr)} != {getattr(ref, attr)}")
    if not _close(ours.dt, ref.dt):
        diffs.append(f"dt: {ours.dt} != {ref.dt}")
    if set(ours.operation_names) != set(ref.operation_names):
        diffs.append(f"operations: {sorted(ours.operation_names)} != "
                     f"{sorted(ref.operation_names)}")
    for name in sorted(set(ours.operation_names) & set(ref.operation_names)):
        a, b = ours.operation_from_name(name), ref.operation_from_name(name)
        if isinstance(a, type) or isinstance(b, type):
            if a is not b:
                diffs.append(f"{name}: operation {a} != {b}")
            continue
        if type(a) is not type(b) or a.num_qubits != b.num_qubits or \
                a.num_clbits != b.num_clbits or len(a.params) != len(b.params):
            diffs.append(f"{name}: operation {a!r} != {b!r}")
        qa, qb = ours.qargs_for_operation_name(name), ref.qargs_for_operation_name(name)
        if qb is not None and forgive_ideal_on:
            qb = {q for q in qb if not (set(q) & forgive_ideal_on and ref[name][q] is None)}
        if (qa is None) != (qb is None) or set(qa or ()) != set(qb or ()):
            diffs.append(f"{name}: qargs {sorted(qa or [])[:6]}... != {sorted(qb or [])[:6]}...")
            continue
        for qargs in qa or ():
            pa, pb = ours[name][qargs], ref[name][qargs]
            ea, da = (pa.error, pa.duration) if pa is not None else (None, None)
            eb, db = (pb.error, pb.duration) if pb is not None else (None, None)
            if not (_close(ea, eb) and _close(da, db)):
                diffs.append(f"{name}{qargs}: ({ea}, {da}) != ({eb}, {db})")
        bounds_a, bounds_b = _bounds_signature(ours, name), _bounds_signature(ref, name)
        if bounds_a != bounds_b:
            diffs.append(f"{name}: angle bounds {bounds_a} != {bounds_b}")
    qpa, qpb = ours.qubit_properties, ref.qubit_properties
    if (qpa is None) != (qpb is None) or len(qpa or ()) != len(qpb or ()):
        diffs.append(f"qubit_properties: {_size(qpa)} != {_size(qpb)}")
    else:
        for i, (x, y) in enumerate(zip(qpa or (), qpb or (), strict=True)):
            for field in ("t1", "t2", "frequency"):
                if not _close(getattr(x, field), getattr(y, field)):
                    diffs.append(f"qubit {i} {field}: {getattr(x, field)} != "
                                 f"{getattr(y, field)}")
    return diffs


def _size(items: list[Any] | None) -> str:
    return "None" if items is None else str(len(items))
