"""The error map: a picture of the device, qubits coloured by readout error, edges by 2q error.

Drawn with matplotlib's object API on the Agg canvas (no pyplot, no display, no global
backend switch), from :func:`qtargets.graphs.to_networkx`, so the picture shows exactly the
numbers the graph holds. matplotlib is optional: ``pip install 'qtargets[plot]'``.

Where the qubits go (:func:`qubit_layout`):

* all-to-all devices (IonQ) on a circle: every other layout hides 630 edges in a blob;
* lattices numbered row by row (IBM heavy-hex Eagle and Heron, Nighthawk's square grid) on
  their grid, which calibrations do not carry but the numbering gives away (see
  :func:`lattice_coordinates`); for Eagle these are qiskit's own drawing coordinates;
* anything else by networkx's Kamada-Kawai layout, which keeps graph distance as distance.

>>> import qtargets
>>> from qtargets.errormap import plot_error_map
>>> figure = plot_error_map(qtargets.load_calibration("ibm_fez"), "fez.png")  # doctest: +SKIP
"""

from __future__ import annotations

import math
import os
import statistics
from collections.abc import Sequence
from datetime import timezone
from typing import TYPE_CHECKING, Any

import numpy as np
from qiskit.transpiler import Target

from . import _format as _fmt
from ._exceptions import UnsupportedFormatError
from ._optional import require
from .graphs import to_networkx
from .model import UNCALIBRATED_ERROR, Calibration

if TYPE_CHECKING:
    import networkx as nx  # type: ignore[import-untyped]
    from matplotlib.axes import Axes
    from matplotlib.colors import Colormap, Normalize
    from matplotlib.figure import Figure

__all__ = [
    "check_image_file",
    "lattice_coordinates",
    "plot_error_map",
    "qubit_layout",
]

_QUBIT_CMAP = "viridis"
_EDGE_CMAP = "plasma"
_NO_DATA = "#d9d9d9"
_FAULTY = "#8c8c8c"
_UNCALIBRATED = "#d62728"
# in line widths (matplotlib scales dashes with the width), short enough to show on a short
# edge; drawn with butt caps, since round ones would close the gaps
_DASHES: dict[str, Any] = {"uncalibrated": (0, (0.7, 0.5)), "faulty": (0, (0.3, 0.5))}


def plot_error_map(
    source: Calibration | Target,
    path: str | os.PathLike[str] | None = None,
    *,
    figsize: tuple[float, float] = (10.0, 10.0),
    dpi: float = 100.0,
    label_qubits: bool = True,
    title: str | None = None,
) -> Figure:
    """Draw ``source``'s device: qubits by readout error, edges by two-qubit gate error.

    Each pair is one line coloured by its better direction's error on the main entangling
    gate (``to_networkx(..., undirected=True)``). Both colour scales are logarithmic, since
    errors on one device span orders of magnitude. Drawn apart: faulty qubits and gates
    (grey, dotted), uncalibrated gates (error = 1, red dashed) and missing numbers (light
    grey). The title names the backend and when the calibration was taken.

    ``path`` (optional) is where to save it; the format comes from the suffix (``.png``,
    ``.svg``, ``.pdf``...) and the image is ``figsize`` x ``dpi`` pixels.

    Raises:
        MissingDependencyError: matplotlib is not installed.
        UnsupportedFormatError: ``path`` has a suffix matplotlib cannot write.
    """
    require("matplotlib", "drawing error maps")
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: PLC0415
    from matplotlib.figure import Figure  # noqa: PLC0415

    graph = to_networkx(source, undirected=True)
    figure = Figure(figsize=figsize, dpi=dpi)
    canvas = FigureCanvasAgg(figure)
    if path is not None:
        _check_format(canvas, path)

    # the device on top, two horizontal colour bars under it (qubits left, edges right)
    ax = figure.add_axes((0.02, 0.16, 0.96, 0.74))
    qubit_bar = figure.add_axes((0.08, 0.075, 0.38, 0.022))
    edge_bar = figure.add_axes((0.54, 0.075, 0.38, 0.022))
    ax.set_axis_off()
    ax.set_aspect("equal")

    positions = qubit_layout(graph)
    node_size = _draw(figure, ax, graph, positions, label_qubits=label_qubits)
    _colour_bar(figure, qubit_bar, _qubit_values(graph), _QUBIT_CMAP,
                "readout error (qubits)")
    gate = graph.graph.get("two_qubit_gate") or "two-qubit gate"
    _colour_bar(figure, edge_bar, _edge_values(graph), _EDGE_CMAP,
                f"{gate} error (edges)")
    _legend(ax, graph, node_size)
    figure.suptitle(title if title is not None else _title(graph), fontsize=14, y=0.975)

    if path is not None:
        figure.savefig(path, dpi=dpi)
    return figure


# -- layout --------------------------------------------------------------------------------


def qubit_layout(graph: nx.Graph) -> dict[int, tuple[float, float]]:
    """Positions of the qubits of ``to_networkx`` output, in data units (y grows downwards).

    A circle for an all-to-all device, the lattice when :func:`lattice_coordinates` finds
    one, else Kamada-Kawai scaled so that neighbouring qubits are about one unit apart.
    """
    import networkx as nx  # noqa: PLC0415

    n = graph.number_of_nodes()
    pairs = {(min(a, b), max(a, b)) for a, b in graph.edges if a != b}
    if n > 3 and len(pairs) == n * (n - 1) // 2:
        radius = n / (2 * math.pi)  # neighbours on the circle one unit apart
        return {q: (radius * math.sin(2 * math.pi * q / n), -radius * math.cos(2 * math.pi * q / n))
                for q in graph.nodes}
    lattice = lattice_coordinates(n, sorted(pairs))
    if lattice is not None:
        return lattice
    if not pairs:
        side = math.ceil(math.sqrt(n)) or 1
        return {q: (float(q % side), float(q // side)) for q in graph.nodes}
    raw = nx.kamada_kawai_layout(nx.Graph(list(pairs)))
    # isolated qubits (no edges) on a row below the rest
    placed = {q: (float(x), float(y)) for q, (x, y) in raw.items()}
    unit = min(math.dist(placed[a], placed[b]) for a, b in pairs) or 1.0
    placed = {q: (x / unit, y / unit) for q, (x, y) in placed.items()}
    bottom = max((y for _, y in placed.values()), default=0.0) + 1.5
    left = min((x for x, _ in placed.values()), default=0.0)
    for i, q in enumerate(q for q in sorted(graph.nodes) if q not in placed):
        placed[q] = (left + i, bottom)
    return placed


def lattice_coordinates(num_qubits: int, pairs: Sequence[tuple[int, int]]
                        ) -> dict[int, tuple[float, float]] | None:
    """Grid coordinates ``(column, row)`` of a lattice numbered row by row, else ``None``.

    IBM numbers its heavy-hex and square lattices row by row: a row is a run of consecutive
    indices joined by edges, and the qubits between two rows (heavy-hex "bridges", single
    qubits) or the rows themselves are joined by vertical edges. So each run goes one row
    below (or above) a placed qubit it touches, in that qubit's column. A qubit with no edge
    at all (a faulty one left out of a Target) goes next to a neighbour by index. The result is
    kept only if every edge then joins grid neighbours and no two qubits share a point, so a
    device numbered any other way falls back to a general layout rather than a wrong one.
    """
    if num_qubits == 0 or not pairs:
        return None
    adjacent: dict[int, set[int]] = {q: set() for q in range(num_qubits)}
    for a, b in pairs:
        adjacent[a].add(b)
        adjacent[b].add(a)
    runs: list[list[int]] = []
    for q in range(num_qubits):
        if runs and q - 1 in adjacent[q]:
            runs[-1].append(q)
        else:
            runs.append([q])

    connected = [run for run in runs if len(run) > 1 or adjacent[run[0]]]
    first = connected[0]
    position = {q: (k, 0) for k, q in enumerate(first)}
    pending = connected[1:]
    while pending:  # a run may hang only from a later one (its upper neighbour left out)
        waiting = []
        for run in pending:
            anchor = next(((k, q, p) for k, q in enumerate(run)
                           for p in sorted(adjacent[q]) if p in position), None)
            if anchor is None:
                waiting.append(run)
                continue
            k, q, p = anchor
            column, row = position[p]
            row += 1 if p < q else -1
            for j, r in enumerate(run):
                position[r] = (column + j - k, row)
        if len(waiting) == len(pending):
            return None  # disconnected: no grid to find
        pending = waiting
    # qubits without edges: beside a neighbour by index if there is room, else a row below
    taken = set(position.values())
    for order, step in ((range(num_qubits), -1), (range(num_qubits - 1, -1, -1), 1)):
        for q in order:
            if q not in position and q + step in position:
                x, y = position[q + step]
                spot = (x - step, y)
                if spot not in taken:
                    position[q] = spot
                    taken.add(spot)
    bottom = max(y for _, y in taken) + 1
    for i, q in enumerate(q for q in range(num_qubits) if q not in position):
        position[q] = (i, bottom)

    if len(set(position.values())) != num_qubits:
        return None
    for a, b in pairs:
        (xa, ya), (xb, yb) = position[a], position[b]
        if abs(xa - xb) + abs(ya - yb) != 1:
            return None
    left = min(x for x, _ in position.values())
    top = min(y for _, y in position.values())
    return {q: (float(x - left), float(y - top)) for q, (x, y) in position.items()}


# -- drawing -------------------------------------------------------------------------------


def _draw(figure: Figure, ax: Axes, graph: nx.Graph,
          positions: dict[int, tuple[float, float]], *, label_qubits: bool) -> float:
    """Edges, then qubits on top; returns the qubit marker diameter in points."""
    from matplotlib.collections import LineCollection  # noqa: PLC0415

    xs = [x for x, _ in positions.values()]
    ys = [y for _, y in positions.values()]
    margin = 0.8
    ax.set_xlim(min(xs) - margin, max(xs) + margin)
    ax.set_ylim(max(ys) + margin, min(ys) - margin)  # row 0 at the top, as IBM draws it

    # marker size from the data-to-points scale, so a 16-wide lattice and a circle both fit
    width_in, height_in = _axes_inches(figure, ax)
    span_x = max(xs) - min(xs) + 2 * margin
    span_y = max(ys) - min(ys) + 2 * margin
    points_per_unit = min(width_in * 72 / span_x, height_in * 72 / span_y)
    spacing = _spacing(positions)
    diameter = min(0.62 * spacing * points_per_unit, 36.0)
    dense = graph.number_of_edges() > 3 * graph.number_of_nodes()
    line_width = 0.7 if dense else max(1.0, 0.3 * diameter)

    groups: dict[str, tuple[list[Any], list[Any]]] = {
        k: ([], []) for k in ("measured", "none", "uncalibrated", "faulty")}
    for a, b, data in graph.edges(data=True):
        error = data.get("error")
        if not data.get("operational", True):
            kind, colour = "faulty", _FAULTY
        elif error is None:
            kind, colour = "none", _NO_DATA
        elif error >= UNCALIBRATED_ERROR:
            kind, colour = "uncalibrated", _UNCALIBRATED
        else:
            kind, colour = "measured", error  # mapped below, all at once
        groups[kind][0].append((positions[a], positions[b]))
        groups[kind][1].append(colour)
    measured = groups["measured"][1]
    measured[:] = _colours(measured, _EDGE_CMAP)
    styles = {"measured": "solid", "none": "solid", **_DASHES}
    for kind, (segments, colours) in groups.items():
        if segments:
            ax.add_collection(LineCollection(
                segments, colors=colours, linewidths=line_width, linestyles=styles[kind],
                alpha=0.55 if dense else 1.0, zorder=1,
                capstyle="round" if kind in ("measured", "none") else "butt"))

    nodes = sorted(graph.nodes)
    readout = {q: graph.nodes[q]["readout_error"] for q in nodes
               if graph.nodes[q].get("operational", True)
               and graph.nodes[q]["readout_error"] is not None}
    mapped = dict(zip(readout, _colours(list(readout.values()), _QUBIT_CMAP), strict=True))
    colours = [mapped.get(q, _FAULTY if not graph.nodes[q].get("operational", True)
                          else _NO_DATA) for q in nodes]
    ax.scatter([positions[q][0] for q in nodes], [positions[q][1] for q in nodes],
               s=diameter**2, c=colours, edgecolors="#333333",
               linewidths=max(0.4, diameter / 40), zorder=2)

    font_size = 0.38 * diameter if len(str(max(nodes, default=0))) < 3 else 0.32 * diameter
    if label_qubits and font_size >= 4:
        for q, colour in zip(nodes, colours, strict=True):
            x, y = positions[q]
            ax.text(x, y, str(q), ha="center", va="center", fontsize=font_size,
                    color=_text_colour(colour), zorder=3)
    return diameter


def _legend(ax: Axes, graph: nx.Graph, diameter: float) -> None:
    """Keys for what the colour bars do not explain, only for what the picture shows."""
    from matplotlib.lines import Line2D  # noqa: PLC0415

    handles: list[Line2D] = []
    nodes = [d for _, d in graph.nodes(data=True)]
    edges = [d for _, _, d in graph.edges(data=True)]
    size = min(diameter, 10.0)

    def marker(colour: str, label: str) -> Line2D:
        return Line2D([], [], linestyle="none", marker="o", markersize=size,
                      markerfacecolor=colour, markeredgecolor="#333333", label=label)

    def line(colour: str, style: Any, label: str) -> Line2D:
        return Line2D([], [], color=colour, linestyle=style, linewidth=2.5, label=label)

    if any(not d.get("operational", True) for d in nodes):
        handles.append(marker(_FAULTY, "faulty qubit"))
    if any(d.get("operational", True) and d["readout_error"] is None for d in nodes):
        handles.append(marker(_NO_DATA, "readout error not reported"))
    if any(not d.get("operational", True) for d in edges):
        handles.append(line(_FAULTY, _DASHES["faulty"], "faulty gate"))
    if any(d.get("operational", True) and d["error"] is not None
           and d["error"] >= UNCALIBRATED_ERROR for d in edges):
        handles.append(line(_UNCALIBRATED, _DASHES["uncalibrated"], "uncalibrated (error = 1)"))
    if any(d.get("operational", True) and d["error"] is None for d in edges):
        handles.append(line(_NO_DATA, "solid", "gate error not reported"))
    if handles:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.0, 0.0),
                  ncol=len(handles), frameon=False, fontsize=9, handletextpad=0.4,
                  columnspacing=1.2, borderaxespad=0.0)


def _colour_bar(figure: Figure, bar: Axes, values: list[float],
                cmap_name: str, label: str) -> None:
    from matplotlib.cm import ScalarMappable  # noqa: PLC0415

    if not values:
        bar.set_axis_off()
        bar.text(0.5, 0.5, f"{label}: not reported", ha="center", va="center",
                 transform=bar.transAxes, fontsize=10)
        return
    norm = _norm(values)
    mappable = ScalarMappable(norm=norm, cmap=_cmap(cmap_name))
    colour_bar = figure.colorbar(mappable, cax=bar, orientation="horizontal")
    # five evenly spaced ticks in errors' own notation: matplotlib's log ticks crowd
    low, high = float(norm.vmin), float(norm.vmax)  # type: ignore[arg-type]
    ticks = ([low * (high / low) ** (i / 4) for i in range(5)] if low > 0
             else [low + (high - low) * i / 4 for i in range(5)])
    colour_bar.set_ticks(ticks, labels=[_tick(t) for t in ticks])
    colour_bar.ax.minorticks_off()
    colour_bar.set_label(f"{label}, median {_fmt.error(statistics.median(values))}",
                         fontsize=10)
    colour_bar.ax.tick_params(labelsize=9)


def _title(graph: nx.Graph) -> str:
    attrs = graph.graph
    name = attrs.get("backend_name") or attrs.get("description") or "device"
    processor = attrs.get("processor")
    head = f"{name} ({processor})" if processor else str(name)
    # names come from data: control characters escaped, and no "$" left for mathtext
    head = _fmt.printable(head).replace("$", r"\$")
    taken = attrs.get("taken_at")
    when = (f"calibration taken {_fmt.when(taken.astimezone(timezone.utc))}"
            if taken is not None else "calibration time unknown")
    return f"{head}: error map\n{when}, {attrs['num_qubits']} qubits"


# -- values and colours --------------------------------------------------------------------


def _qubit_values(graph: nx.Graph) -> list[float]:
    return [d["readout_error"] for _, d in graph.nodes(data=True)
            if d.get("operational", True) and d["readout_error"] is not None]


def _edge_values(graph: nx.Graph) -> list[float]:
    return [d["error"] for _, _, d in graph.edges(data=True)
            if d.get("operational", True) and d["error"] is not None
            and d["error"] < UNCALIBRATED_ERROR]


def _norm(values: list[float]) -> Normalize:
    """Log scale over the values (linear if one is 0); a flat range is widened to show."""
    from matplotlib.colors import LogNorm, Normalize  # noqa: PLC0415

    low, high = (min(values), max(values)) if values else (1e-3, 1e-2)
    if low > 0:
        if high / low < 1.2:
            low, high = low / 1.5, high * 1.5
        return LogNorm(vmin=low, vmax=high, clip=True)
    if high <= low:
        high = low + 1e-3
    return Normalize(vmin=low, vmax=high, clip=True)


def _colours(values: list[float], cmap_name: str) -> list[Any]:
    """RGBA of each value on the colour scale of all of them (one vectorised call: mapping
    values one by one through a LogNorm was a third of the drawing time)."""
    if not values:
        return []
    return list(_cmap(cmap_name)(_norm(values)(np.asarray(values))))


def _cmap(name: str) -> Colormap:
    from matplotlib import colormaps  # noqa: PLC0415

    return colormaps[name]


def _tick(value: float) -> str:
    """``2.1e-3``: two digits are all a colour can be read to."""
    if value == 0:
        return "0"
    mantissa, exponent = f"{value:.1e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def _text_colour(colour: Any) -> str:
    from matplotlib.colors import to_rgb  # noqa: PLC0415

    r, g, b = to_rgb(colour)
    return "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.55 else "white"


def _axes_inches(figure: Figure, ax: Axes) -> tuple[float, float]:
    width, height = figure.get_size_inches()
    box = ax.get_position()
    return float(width * box.width), float(height * box.height)


def _spacing(positions: dict[int, tuple[float, float]]) -> float:
    """Median distance from a qubit to its nearest one: a few crowded qubits (in a general
    layout) should not shrink every marker."""
    points = list(positions.values())
    if len(points) < 2:
        return 1.0
    nearest = [min(math.dist(p, q) for j, q in enumerate(points) if j != i)
               for i, p in enumerate(points)]
    return statistics.median(nearest) or 1.0


def check_image_file(path: str | os.PathLike[str], purpose: str = "writing images") -> None:
    """Raise unless matplotlib can write ``path`` (its suffix picks the format): what a caller
    checks before any work whose result is that image (``qtargets map --out``, ``sweep
    --plot``).

    Raises:
        MissingDependencyError: matplotlib is not installed (naming ``purpose``).
        UnsupportedFormatError: ``path`` has a suffix matplotlib cannot write.
    """
    require("matplotlib", purpose)
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: PLC0415

    _check_format(FigureCanvasAgg, path)


def _check_format(canvas: Any, path: str | os.PathLike[str]) -> None:
    """Fail before drawing, with matplotlib's list of formats, rather than after."""
    suffix = os.path.splitext(os.fspath(path))[1].lstrip(".").lower()
    supported = canvas.get_supported_filetypes()
    if suffix and suffix not in supported:
        raise UnsupportedFormatError(f"cannot write {os.fspath(path)!r}: format {suffix!r} is not "
                         f"supported (supported: {', '.join(sorted(supported))})")
