"""The error map: its layout, what it draws, the image it writes, and ``qtargets map``."""

from __future__ import annotations

import math
import random
import sys
import time
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.image import imread
from typer.testing import CliRunner

import qtargets
from qtargets import (
    Calibration,
    MissingDependencyError,
    QTargetsError,
    UnsupportedFormatError,
)
from qtargets.cli import app
from qtargets.errormap import (
    lattice_coordinates,
    plot_error_map,
    qubit_layout,
)
from qtargets.graphs import to_networkx
from test_cli import USAGE_ERROR, assert_one_line_error
from test_summary import small_calibration

runner = CliRunner()


@pytest.fixture(scope="module")
def fez() -> Calibration:
    return qtargets.load_calibration("ibm_fez")


def layout_of(source: Calibration | Any) -> dict[int, tuple[float, float]]:
    return qubit_layout(to_networkx(source, undirected=True))


def assert_grid(positions: dict[int, tuple[float, float]], pairs: Any) -> None:
    """Integer points, all distinct, every edge between grid neighbours."""
    assert len(set(positions.values())) == len(positions)
    assert all(x == int(x) and y == int(y) for x, y in positions.values())
    for a, b in pairs:
        assert math.dist(positions[a], positions[b]) == 1.0, (a, b)


def legend_texts(figure: Figure) -> list[str]:
    legend = figure.axes[0].get_legend()
    return [] if legend is None else [t.get_text() for t in legend.get_texts()]


def shuffled(cal: Calibration, seed: int = 1) -> Calibration:
    """The same device with its qubits renumbered at random."""
    order = list(range(cal.num_qubits))
    random.Random(seed).shuffle(order)
    instructions = tuple(
        replace(i, qargs=tuple(g._replace(qubits=tuple(order[q] for q in g.qubits))
                               for g in i.qargs))
        if i.qargs else i for i in cal.instructions)
    qubits = [cal.qubits[0]] * cal.num_qubits
    for q, qubit in enumerate(cal.qubits):
        qubits[order[q]] = qubit
    return replace(cal, instructions=instructions, qubits=tuple(qubits))


# -- layout --------------------------------------------------------------------------------


def test_eagle_layout_is_qiskits_own_drawing(monkeypatch: pytest.MonkeyPatch) -> None:
    from qiskit.visualization import gate_map  # noqa: PLC0415

    captured: dict[str, Any] = {}
    monkeypatch.setattr(gate_map, "plot_coupling_map",
                        lambda _n, coordinates, *_a, **_k: captured.update(coords=coordinates))
    target = qtargets.load_target("ibm_sherbrooke")
    gate_map.plot_gate_map(SimpleNamespace(num_qubits=127, name="ibm_sherbrooke",
                                           coupling_map=target.build_coupling_map()))
    qiskit_positions = {q: (float(col), float(row))
                        for q, (row, col) in enumerate(captured["coords"])}
    assert layout_of(qtargets.load_calibration("ibm_sherbrooke")) == qiskit_positions


def test_heron_r2_is_drawn_on_its_heavy_hex_grid(fez: Calibration) -> None:
    positions = layout_of(fez)
    assert_grid(positions, fez.edges)
    assert {x for x, _ in positions.values()} == set(map(float, range(16)))
    rows = [y for _, y in positions.values()]
    assert max(rows) == 14.0  # 8 rows of 16 qubits, 7 rows of 4 bridge qubits between
    assert positions[0] == (0.0, 0.0)
    assert positions[16] == (3.0, 1.0)  # the first bridge hangs below qubit 3


@pytest.mark.parametrize("name", ["ibm_torino", "ibm_boston", "ibm_miami"])
def test_other_ibm_lattices_are_drawn_on_a_grid(name: str) -> None:
    cal = qtargets.load_calibration(name)
    assert_grid(layout_of(cal), cal.edges)


def test_nighthawk_is_a_square_grid_of_10_by_12() -> None:
    positions = layout_of(qtargets.load_calibration("ibm_miami"))
    assert {x for x, _ in positions.values()} == set(map(float, range(10)))
    assert {y for _, y in positions.values()} == set(map(float, range(12)))


def test_all_to_all_device_is_drawn_on_a_circle() -> None:
    positions = layout_of(qtargets.load_calibration("qpu.forte-1"))
    radii = {round(math.hypot(x, y), 9) for x, y in positions.values()}
    assert len(radii) == 1
    assert len(positions) == 36


def test_qubit_left_out_of_a_target_keeps_its_place(fez: Calibration) -> None:
    qubits = list(fez.qubits)
    for q in (0, 62, 155):
        qubits[q] = replace(qubits[q], operational=False)
    target = qtargets.build_target(replace(fez, qubits=tuple(qubits)))
    assert to_networkx(target).degree(62) == 0
    assert layout_of(target) == layout_of(fez)


def test_device_numbered_otherwise_is_no_lattice(fez: Calibration) -> None:
    renumbered = shuffled(fez)
    assert lattice_coordinates(156, renumbered.edges) is None


def test_general_layout_places_every_qubit_apart() -> None:
    # a 12-qubit ring numbered at random: no lattice, so Kamada-Kawai
    ring = [(i, (i + 1) % 12) for i in range(12)]
    order = list(range(12))
    random.Random(3).shuffle(order)
    pairs = sorted((min(order[a], order[b]), max(order[a], order[b])) for a, b in ring)
    assert lattice_coordinates(12, pairs) is None
    import networkx as nx  # noqa: PLC0415

    positions = qubit_layout(nx.Graph(pairs))
    assert len(positions) == 12
    nearest = min(math.dist(p, q) for p in positions.values() for q in positions.values()
                  if p != q)
    assert nearest > 0.5  # neighbours are about one unit apart


# -- the picture ---------------------------------------------------------------------------


def test_map_image_has_the_configured_size_and_is_not_blank(tmp_path: Path,
                                                            fez: Calibration) -> None:
    path = tmp_path / "fez.png"
    start = time.perf_counter()
    plot_error_map(fez, path, figsize=(8.0, 6.0), dpi=50)
    elapsed = time.perf_counter() - start
    image = imread(path)
    assert image.shape[:2] == (300, 400)  # height, width: 6 x 50 and 8 x 50 pixels
    rgb = image[..., :3].reshape(-1, 3)
    assert len(np.unique(np.round(rgb, 2), axis=0)) > 200  # colour bars, qubits, edges
    assert rgb.std() > 0.1
    assert elapsed < 5.0  # ~0.3 s on a laptop; generous for slow CI machines


def test_default_image_is_1000_pixels_square(tmp_path: Path) -> None:
    path = tmp_path / "forte.png"
    plot_error_map(qtargets.load_calibration("qpu.forte-1"), path)
    assert imread(path).shape[:2] == (1000, 1000)


def test_suffix_picks_the_format(tmp_path: Path) -> None:
    path = tmp_path / "harmony.svg"
    plot_error_map(qtargets.load_calibration("qpu.harmony"), path)
    assert path.read_text(encoding="utf-8").lstrip().startswith("<?xml")


def test_title_names_the_backend_and_the_calibration_time(fez: Calibration) -> None:
    title = plot_error_map(fez).get_suptitle()
    assert "ibm_fez (Heron r2)" in title
    assert "2025-02-26 20:16:25 UTC" in title


def test_title_says_when_the_time_is_unknown() -> None:
    title = plot_error_map(qtargets.load_calibration("qpu.aria-1")).get_suptitle()
    assert "calibration time unknown" in title


def test_colour_bars_say_what_they_measure(fez: Calibration) -> None:
    labels = [ax.get_xlabel() for ax in plot_error_map(fez).axes]
    assert any(label.startswith("readout error (qubits), median 7.57e-3") for label in labels)
    assert any(label.startswith("cz error (edges), median") for label in labels)


def test_uncalibrated_gates_are_keyed_apart(fez: Calibration) -> None:
    assert legend_texts(plot_error_map(fez)) == ["uncalibrated (error = 1)"]


def test_faulty_elements_are_keyed(tmp_path: Path) -> None:
    texts = legend_texts(plot_error_map(small_calibration(), tmp_path / "small.png"))
    assert "faulty qubit" in texts
    assert "faulty gate" in texts


def test_device_without_numbers_still_draws(tmp_path: Path) -> None:
    figure = plot_error_map(qtargets.load_calibration("qpu.forte-enterprise-1"),
                            tmp_path / "bare.png", dpi=30)
    assert "readout error not reported" in legend_texts(figure)
    texts = [t.get_text() for ax in figure.axes for t in ax.texts]
    assert "readout error (qubits): not reported" in texts


def test_target_draws_too(tmp_path: Path) -> None:
    figure = plot_error_map(qtargets.load_target("ibm_sherbrooke"), tmp_path / "t.png", dpi=30)
    assert "ibm ibm_sherbrooke" in figure.get_suptitle()


def test_unsupported_suffix_fails_before_drawing(tmp_path: Path, fez: Calibration) -> None:
    path = tmp_path / "map.xyz"
    with pytest.raises(UnsupportedFormatError, match=r"'xyz' is not supported.*png"):
        plot_error_map(fez, path)
    assert not path.exists()


def test_missing_matplotlib_says_which_extra_to_install(monkeypatch: pytest.MonkeyPatch,
                                                        fez: Calibration) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` fail
    with pytest.raises(MissingDependencyError, match=r"pip install 'qtargets\[plot\]'") as info:
        plot_error_map(fez)
    assert isinstance(info.value, QTargetsError)
    assert isinstance(info.value, ImportError)


# -- qtargets map --------------------------------------------------------------------------


def test_map_writes_the_png_and_prints_its_path(tmp_path: Path) -> None:
    out = tmp_path / "tmp" / "map.png"
    result = runner.invoke(app, ["map", "ibm_fez", "--out", str(out), "--dpi", "40"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(out)
    assert imread(out).shape[:2] == (400, 400)


def test_map_defaults_to_a_file_named_for_the_backend(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["map", "qpu.harmony", "--dpi", "20"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "qpu.harmony-error-map.png"
    assert (tmp_path / "qpu.harmony-error-map.png").is_file()


def test_map_reads_a_saved_calibration_file(tmp_path: Path) -> None:
    saved = tmp_path / "small.json"
    saved.write_text(small_calibration().to_json())
    out = tmp_path / "small.png"
    result = runner.invoke(app, ["map", str(saved), "-o", str(out), "--dpi", "20"])
    assert result.exit_code == 0, result.output
    assert out.is_file()


def test_map_unknown_backend_exits_2_with_one_red_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["map", "ibm_nowhere", "--out", str(tmp_path / "x.png")])
    assert result.exit_code == USAGE_ERROR
    assert result.stdout == ""
    assert_one_line_error(result.stderr, "'ibm_nowhere'")


def test_map_unsupported_suffix_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["map", "ibm_fez", "--out", str(tmp_path / "map.xyz")])
    assert result.exit_code == USAGE_ERROR
    assert_one_line_error(result.stderr, "'xyz' is not supported")


def test_map_without_matplotlib_exits_2_naming_the_extra(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    result = runner.invoke(app, ["map", "ibm_fez", "--out", str(tmp_path / "map.png")])
    assert result.exit_code == USAGE_ERROR
    assert_one_line_error(result.stderr, "qtargets[plot]")
