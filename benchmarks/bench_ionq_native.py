"""IonQ on the path users take: ``transpile(circuit, backend=qtargets.backend(device))``.

For each circuit (8 random 8-qubit circuits, QFT-8 and QAOA-10 from qiskit's circuit library,
GHZ-10; all measured), each family (MS on ``qpu.aria-1``, ZZ on ``qpu.forte-1``; bundled
snapshots, all-to-all) and each optimization level 1, 2, 3, it counts entangling gates and
single-qubit gates for:

* ours: ``transpile(circuit, backend=qtargets.backend(device), optimization_level=L)``, no other
  option (the backend names the ``ionq-native`` translation stage itself), counting
  ``ms``/``zz`` and ``gpi`` + ``gpi2``;
* (b), the bar: qiskit's own ``transpile`` at the same level on the equivalent free-Z basis
  ``{rz, sx, x, rxx | rzz}`` (:func:`qtargets.ionq.plugin.intermediate_target`: same qubits,
  all-to-all, ``rz`` perfect), counting ``rxx``/``rzz`` and ``sx`` + ``x``. ``rz`` is virtual
  and free on both sides, so it is not counted (ours has none: it is folded into phases);
* qiskit-ionq (optional column, when installed): ``IonQProvider(token="offline")
  .get_backend(device, gateset="native")``, counting ``ms``/``zz`` and ``gpi`` + ``gpi2``.

Bar (the issue's): ours <= (b) in entanglers and in single-qubit gates on every circuit, at
every level, for both families. Our output is also checked: only native operations, and
exactly the input's measurement distribution. Exit status 1 if a bar or a check fails, or
qiskit-ionq tried the network.

No network: qiskit-ionq asks api.ionq.co for qubit counts, so that helper is replaced and
every socket connection and ``requests`` call raises; the run reports the attempts (must be 0).

Run:  python benchmarks/bench_ionq_native.py    (qiskit-ionq optional; ~10 minutes on 2 cores)
"""

from __future__ import annotations

import socket
import sys
import time
import warnings
from collections import Counter
from collections.abc import Callable
from typing import Any

import networkx as nx
import numpy as np
from qiskit import QuantumCircuit, transpile
from qiskit.circuit.library import QFTGate, qaoa_ansatz
from qiskit.circuit.random import random_circuit
from qiskit.quantum_info import SparsePauliOp, Statevector

import qtargets
from qtargets.ionq.plugin import intermediate_target

SEED = 2024
LEVELS = (1, 2, 3)
RANDOM_CIRCUITS = 8
QUBITS_REPORTED = 36  # what qiskit-ionq would have fetched; any value >= 10 will do
# family: (device, native entangler, its free-Z counterpart)
FAMILIES = {"MS": ("qpu.aria-1", "ms", "rxx"), "ZZ": ("qpu.forte-1", "zz", "rzz")}
NATIVE_1Q = ("gpi", "gpi2")
BASELINE_1Q = ("sx", "x")  # rz is virtual (free) in the baseline, as phases are in ours

# -- no network --------------------------------------------------------------------------------

network_attempts: list[str] = []


def _refuse(what: str) -> Callable[..., Any]:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        network_attempts.append(what)
        raise OSError(f"network access is disabled in this benchmark ({what})")

    return refuse


def forbid_network() -> None:
    """Every way out fails loudly and is recorded: sockets, DNS, requests, the qubit lookup."""
    socket.socket.connect = _refuse("socket.connect")  # type: ignore[method-assign]
    socket.socket.connect_ex = _refuse("socket.connect_ex")  # type: ignore[method-assign]
    socket.create_connection = _refuse("socket.create_connection")
    socket.getaddrinfo = _refuse("socket.getaddrinfo")
    import requests  # noqa: PLC0415  (imported once the sockets are cut off)

    requests.Session.request = _refuse("requests")  # type: ignore[method-assign]

    import qiskit_ionq.helpers  # noqa: PLC0415  (likewise)
    import qiskit_ionq.ionq_backend  # noqa: PLC0415

    def offline_n_qubits(backend: str, fallback: int = 4) -> int:
        return QUBITS_REPORTED

    qiskit_ionq.helpers.get_n_qubits = offline_n_qubits
    qiskit_ionq.ionq_backend.get_n_qubits = offline_n_qubits  # imported by name there


# -- circuits ----------------------------------------------------------------------------------


def qft(n: int) -> QuantumCircuit:
    qc = QuantumCircuit(n)
    qc.x(range(0, n, 3))  # a non-trivial input
    qc.append(QFTGate(n), range(n))
    qc.measure_all()
    return qc


def qaoa(n: int, layers: int = 2) -> QuantumCircuit:
    """qiskit's QAOA ansatz for MaxCut on a random 3-regular graph, random angles."""
    graph = nx.random_regular_graph(3, n, seed=SEED)
    cost = SparsePauliOp.from_sparse_list([("ZZ", [a, b], 1.0) for a, b in graph.edges], n)
    qc = qaoa_ansatz(cost, reps=layers)
    rng = np.random.default_rng(SEED)
    qc = qc.assign_parameters(rng.uniform(-np.pi, np.pi, qc.num_parameters))
    qc.measure_all()
    return qc


def ghz(n: int) -> QuantumCircuit:
    qc = QuantumCircuit(n)
    qc.h(0)
    for q in range(n - 1):
        qc.cx(q, q + 1)
    qc.measure_all()
    return qc


def circuits() -> dict[str, QuantumCircuit]:
    out = {
        f"random-8-{i}": random_circuit(8, 8, max_operands=3, measure=True, seed=SEED + i)
        for i in range(RANDOM_CIRCUITS)
    }
    out.update({"qft-8": qft(8), "qaoa-10": qaoa(10), "ghz-10": ghz(10)})
    return out


# -- checks ------------------------------------------------------------------------------------


def distribution(qc: QuantumCircuit) -> dict[str, float]:
    """Exact outcome probabilities of a circuit whose measurements all come last.

    Only the qubits the circuit touches are simulated, so a 36-qubit output is cheap.
    """
    body, measured = QuantumCircuit(qc.num_qubits), {}
    for inst in qc.data:
        qubits = [qc.find_bit(q).index for q in inst.qubits]
        if inst.operation.name == "measure":
            measured[qubits[0]] = qc.find_bit(inst.clbits[0]).index
        elif inst.operation.name != "barrier":
            assert not set(qubits) & set(measured), "measurements must come last"
            body.append(inst.operation, qubits)
    active = sorted({q for inst in body.data for q in (body.find_bit(b).index
                                                       for b in inst.qubits)} | set(measured))
    small = QuantumCircuit(len(active))
    position = {q: i for i, q in enumerate(active)}
    for inst in body.data:
        small.append(inst.operation, [position[body.find_bit(q).index] for q in inst.qubits])
    probabilities = Statevector(small).probabilities_dict()
    out: Counter[str] = Counter()
    for bits, p in probabilities.items():
        clbits = ["0"] * qc.num_clbits
        for q, c in measured.items():
            clbits[qc.num_clbits - 1 - c] = bits[len(active) - 1 - position[q]]
        out["".join(clbits)] += p
    return {k: v for k, v in out.items() if v > 1e-12}


def same_distribution(a: dict[str, float], b: dict[str, float]) -> bool:
    return all(abs(a.get(k, 0.0) - b.get(k, 0.0)) < 1e-9 for k in set(a) | set(b))


# -- counting ----------------------------------------------------------------------------------


def counts(qc: QuantumCircuit, entangler: str, singles: tuple[str, ...]) -> tuple[int, int]:
    """(entangling gates, single-qubit gates) of ``qc``."""
    ops = qc.count_ops()
    return ops.get(entangler, 0), sum(ops.get(name, 0) for name in singles)


def ionq_backends() -> dict[str, Any]:
    """qiskit-ionq's native backends by family, offline; empty if it is not installed.

    Called only once ours and (b) are compiled: importing qiskit-ionq adds its own rules to
    qiskit's session equivalence library, which changes the translation paths of ours too.
    """
    try:
        import qiskit_ionq  # noqa: F401, PLC0415
    except ImportError:
        return {}
    forbid_network()
    from qiskit_ionq import IonQProvider  # noqa: PLC0415  (once the network is cut off)

    provider = IonQProvider(token="offline")
    return {family: provider.get_backend(device, gateset="native")
            for family, (device, _, _) in FAMILIES.items()}


Row = tuple[str, str, int, dict[str, tuple[int, int]]]


def pair(cell: tuple[int, int] | list[int]) -> str:
    return f"{cell[0]}/{cell[1]}"


def main() -> int:
    warnings.simplefilter("ignore")  # qiskit-ionq warns about optimization level 3
    tested = circuits()
    failures: list[str] = []
    rows: list[Row] = []
    seconds: dict[str, float] = Counter()
    for family, (device, native, intermediate) in FAMILIES.items():
        ours_backend = qtargets.backend(device, live=False)
        baseline_target = intermediate_target(ours_backend.target)
        for level in LEVELS:
            for name, circuit in tested.items():
                start = time.perf_counter()
                ours = transpile(circuit, backend=ours_backend, optimization_level=level,
                                 seed_transpiler=SEED)
                seconds["ours"] += time.perf_counter() - start
                start = time.perf_counter()
                baseline = transpile(circuit, target=baseline_target, optimization_level=level,
                                     seed_transpiler=SEED)
                seconds["(b)"] += time.perf_counter() - start
                cells = {"ours": counts(ours, native, NATIVE_1Q),
                         "(b)": counts(baseline, intermediate, BASELINE_1Q)}
                extra = set(ours.count_ops()) - {*NATIVE_1Q, native, "measure", "barrier"}
                if extra or not same_distribution(distribution(ours), distribution(circuit)):
                    failures.append(f"{name} {family} L{level}: wrong output "
                                    f"(extra operations: {extra or 'none'})")
                rows.append((name, family, level, cells))
                print(".", end="", flush=True)
    theirs_backends = ionq_backends()
    for name, family, level, cells in rows:
        if family in theirs_backends:
            theirs = transpile(tested[name], backend=theirs_backends[family],
                               optimization_level=level, seed_transpiler=SEED)
            cells["qiskit-ionq"] = counts(theirs, FAMILIES[family][1], NATIVE_1Q)
    print()
    columns = ["ours", "(b)"] + (["qiskit-ionq"] if theirs_backends else [])
    header = (f"{'circuit':<12} {'fam':<3} {'L':>1} "
              + " ".join(f"{c + ' 2q/1q':>17}" for c in columns) + "  ours<=(b)")
    print("entangling / single-qubit gates (ours, qiskit-ionq: ms|zz / gpi+gpi2; "
          "(b): rxx|rzz / sx+x)")
    print(header)
    print("-" * len(header))
    totals: dict[tuple[str, int], dict[str, list[int]]] = {}
    for name, family, level, cells in rows:
        better = all(o <= b for o, b in zip(cells["ours"], cells["(b)"], strict=True))
        if not better:
            failures.append(f"{name} {family} L{level}: ours {pair(cells['ours'])} > "
                            f"(b) {pair(cells['(b)'])}")
        total = totals.setdefault((family, level), {})
        for key, (pairs, singles) in cells.items():
            cell = total.setdefault(key, [0, 0])
            cell[0] += pairs
            cell[1] += singles
        print(f"{name:<12} {family:<3} {level:>1} "
              + " ".join(f"{pair(cells[c]):>17}" for c in columns)
              + f"  {'yes' if better else 'NO'}")
    print("-" * len(header))
    for (family, level), total in totals.items():
        print(f"{'total':<12} {family:<3} {level:>1} "
              + " ".join(f"{pair(total[c]):>17}" for c in columns))
    print(f"\ntranspile time, all circuits, levels and families: ours {seconds['ours']:.1f} s, "
          f"(b) {seconds['(b)']:.1f} s")
    print(f"ours <= (b) in 2q and 1q gates on every circuit and level, outputs native and "
          f"exact: {'PASS' if not failures else 'FAIL'}")
    for failure in failures:
        print(f"  {failure}")
    if theirs_backends:
        print(f"network attempts: {len(network_attempts)}"
              + (f" {network_attempts}" if network_attempts else ""))
    return 0 if not failures and not network_attempts else 1


if __name__ == "__main__":
    sys.exit(main())
