"""Line circuits on IBM's layer-fidelity chains and the device's cheapest paths (issue 15).

A circuit whose interaction graph is a line (a GHZ chain, a Trotterised 1D Heisenberg chain)
fits a device without swaps in many places. The layout plugin's VF2 search keeps its first
5,000 placements, which cluster round the best qubits; ``qtargets.layout.LINE_PLACEMENTS``
adds, for line circuits, the windows of the chains IBM measured layer fidelity on
("chains") and the cheapest paths a beam search finds ("paths"). For each bundled device,
circuit and idle mode this transpiles

    transpile(c, target=t, optimization_level=3, seed_transpiler=SEED)          # qiskit
    transpile(..., layout_method="qtargets-dd" / "qtargets")  with LINE_PLACEMENTS =
        ()                    VF2 alone (before)
        ("chains",)           VF2 + chain windows
        ("chains", "paths")   VF2 + chain windows + beam-search paths (the default)

and prints each one's ``qtargets.score`` ESP (gates and readout) and ``esp_idle``, as ratios
to qiskit's, and whether the chosen line lies on a published chain ("on chain": the
physical qubits, in the line's order, are consecutive qubits of one chain). Then per mode
the geometric means and how often a chain window won over VF2 alone.

Run:  python benchmarks/bench_chains.py [--sizes 12,16,20,24] [--devices ibm_torino]
      [--seed 1] [--only ghz]
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
import warnings
from collections.abc import Callable

from qiskit import QuantumCircuit, transpile
from qiskit.circuit.library import PauliEvolutionGate
from qiskit.quantum_info import SparsePauliOp
from qiskit.synthesis import LieTrotter
from qiskit.transpiler import Target

import qtargets
from qtargets import layout
from qtargets.build import TargetWithChains

DEVICES = ("ibm_torino", "ibm_fez", "ibm_boston", "ibm_sherbrooke", "ibm_miami")
SIZES = (12, 16, 20, 24)
VARIANTS: dict[str, tuple[str, ...]] = {
    "vf2": (),
    "+chains": ("chains",),
    "+chains+paths": ("chains", "paths"),
}
MODES = {"dd": "qtargets-dd", "free": "qtargets"}


def ghz(size: int) -> QuantumCircuit:
    circuit = QuantumCircuit(size, name=f"ghz_{size}")
    circuit.h(0)
    for q in range(size - 1):
        circuit.cx(q, q + 1)
    circuit.measure_all()
    return circuit


def heisenberg(size: int) -> QuantumCircuit:
    """Two Lie-Trotter steps of a nearest-neighbour Heisenberg chain in a field."""
    terms = [(pauli, [q, q + 1], 1.0) for q in range(size - 1) for pauli in ("XX", "YY", "ZZ")]
    terms += [("Z", [q], 0.5) for q in range(size)]
    hamiltonian = SparsePauliOp.from_sparse_list(terms, num_qubits=size)
    circuit = QuantumCircuit(size, name=f"heisenberg_{size}")
    circuit.append(PauliEvolutionGate(hamiltonian, time=0.2, synthesis=LieTrotter(reps=2)),
                   range(size))
    circuit.measure_all()
    return circuit


CIRCUITS: dict[str, Callable[[int], QuantumCircuit]] = {"ghz": ghz, "heisenberg": heisenberg}


def on_chain(compiled: QuantumCircuit, size: int, target: Target) -> bool:
    """Whether virtual qubits 0..size-1 (the line, in order) sit on consecutive qubits of one
    of the Target's layer-fidelity chains."""
    if not isinstance(target, TargetWithChains) or compiled.layout is None:
        return False
    layout_of = compiled.layout.initial_index_layout(filter_ancillas=True)
    line = tuple(layout_of[:size])
    for chain in target.layer_chains:
        for candidate in (chain, chain[::-1]):
            if line[0] in candidate:
                i = candidate.index(line[0])
                if tuple(candidate[i:i + size]) == line:
                    return True
    return False


def compile_with(circuit: QuantumCircuit, target: Target, seed: int,
                 method: str | None, sources: tuple[str, ...] = ()
                 ) -> tuple[QuantumCircuit, float]:
    before = layout.LINE_PLACEMENTS
    layout.LINE_PLACEMENTS = sources
    try:
        start = time.perf_counter()
        compiled = transpile(circuit, target=target, optimization_level=3,
                             seed_transpiler=seed, layout_method=method)
        return compiled, time.perf_counter() - start
    finally:
        layout.LINE_PLACEMENTS = before


def geomean(values: list[float]) -> float:
    return math.exp(statistics.fmean(math.log(v) for v in values)) if values else math.nan


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--devices", default=",".join(DEVICES))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", default="", help="run only circuits whose name has this")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    sizes = [int(s) for s in args.sizes.split(",")]
    ratios: dict[tuple[str, str, str], list[float]] = {}
    won: dict[str, list[bool]] = {mode: [] for mode in MODES}
    head = f"{'device':15}{'circuit':16}{'mode':5}{'qiskit esp/idle':>17}"
    for variant in VARIANTS:
        head += f"{variant:>23}"
    print(head + "   on chain")
    for device in args.devices.split(","):
        target = qtargets.load_target(device)
        for name, make in CIRCUITS.items():
            if args.only not in name:
                continue
            for size in sizes:
                circuit = make(size)
                base, _ = compile_with(circuit, target, args.seed, None)
                ref = qtargets.score(base, target)
                for mode, method in MODES.items():
                    line = (f"{device:15}{circuit.name:16}{mode:5}"
                            f"{ref.esp:>8.3f}/{ref.esp_idle:<8.3f}")
                    costs: dict[str, float] = {}
                    chained: list[str] = []
                    for variant, sources in VARIANTS.items():
                        compiled, _ = compile_with(circuit, target, args.seed, method, sources)
                        got = qtargets.score(compiled, target)
                        esp_r, idle_r = got.esp / ref.esp, got.esp_idle / ref.esp_idle
                        ratios.setdefault((mode, variant, "esp"), []).append(esp_r)
                        ratios.setdefault((mode, variant, "esp_idle"), []).append(idle_r)
                        costs[variant] = got.esp if mode == "dd" else got.esp_idle
                        line += f"{esp_r:>14.3f}/{idle_r:<8.3f}"
                        if on_chain(compiled, size, target):
                            chained.append(variant)
                    won[mode].append("+chains" in chained and "vf2" not in chained
                                     and costs["+chains"] > costs["vf2"])
                    print(line + "   " + (",".join(chained) or "-"), flush=True)
    print("\ngeometric means of ratios to qiskit O3 (esp / esp_idle):")
    for mode in MODES:
        cells = [f"{variant} {geomean(ratios.get((mode, variant, 'esp'), [])):.3f}/"
                 f"{geomean(ratios.get((mode, variant, 'esp_idle'), [])):.3f}"
                 for variant in VARIANTS]
        print(f"  {mode:5}" + "   ".join(cells))
        print(f"        a chain window won over VF2 alone (and scored better): "
              f"{sum(won[mode])} of {len(won[mode])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
