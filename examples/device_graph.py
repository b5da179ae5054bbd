"""A device as a networkx graph: the most reliable path between two qubits, offline.

``qtargets.to_networkx`` turns a calibration into a graph whose nodes are qubits (T1, T2,
readout error...) and whose edges are the pairs a two-qubit gate couples (error, duration).
Weighting each edge by ``-ln(1 - error)`` makes the shortest path the chain of gates most
likely to succeed, e.g. for moving a state across the chip with swaps.

Run:  python examples/device_graph.py [ibm_fez] [from-qubit] [to-qubit]
"""

from __future__ import annotations

import itertools
import math
import sys

import networkx as nx

import qtargets


def seconds(value: float | None) -> str:
    if value is None:
        return "unknown"
    return f"{value * 1e6:.0f} us" if value < 1e-3 else f"{value:.3g} s"


def main(device: str = "ibm_fez", source: int = 0, destination: int = -1) -> None:
    calibration = qtargets.load_calibration(device)
    graph = qtargets.to_networkx(calibration, undirected=True)  # one edge per pair
    destination %= graph.number_of_nodes()
    print(f"{device}: {graph.number_of_nodes()} qubits, {graph.number_of_edges()} coupled "
          f"pairs, two-qubit gate {graph.graph['two_qubit_gate']}")

    for _, _, data in graph.edges(data=True):
        error = data["error"]
        # unknown or uncalibrated (IBM's error = 1) pairs are never worth crossing
        usable = error is not None and error < 1 and data.get("operational", True)
        data["weight"] = -math.log1p(-error) if usable else math.inf
    path = nx.shortest_path(graph, source, destination, weight="weight")
    hops = list(itertools.pairwise(path))
    success = math.prod(1 - graph.edges[a, b]["error"] for a, b in hops)
    shortest = nx.shortest_path_length(graph, source, destination)
    print(f"most reliable path {source} -> {destination}: {len(hops)} gates "
          f"(shortest path: {shortest})")
    print(f"  {' - '.join(map(str, path))}")
    print(f"  product of (1 - error) over its {len(hops)} gates: {success:.4f}")

    best = min((q for q in graph.nodes if graph.nodes[q]["readout_error"] is not None),
               key=lambda q: graph.nodes[q]["readout_error"])
    node = graph.nodes[best]
    print(f"best readout: qubit {best}, error {node['readout_error']:.2e}, "
          f"T1 {seconds(node['t1'])}, T2 {seconds(node['t2'])}")


if __name__ == "__main__":
    args = sys.argv[1:]
    main(args[0] if args else "ibm_fez", *(int(a) for a in args[1:3]))
