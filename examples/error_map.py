"""Draw the error maps of a bundled IBM and a bundled IonQ device as PNG files, offline.

``qtargets.plot_error_map`` colours each qubit by its readout error and each coupled pair by
its two-qubit gate error (logarithmic scales), on the device's own lattice (IBM heavy-hex or
square grid) or on a circle (IonQ, all-to-all). Faulty and uncalibrated elements are drawn
apart. The same as ``qtargets map NAME --out FILE`` on the command line.

Needs matplotlib (``pip install 'qtargets[plot]'``); without it the script says so and exits.

Run:  python examples/error_map.py [OUTPUT_DIRECTORY]   (default: a new temporary directory)
"""

from __future__ import annotations

import importlib.util
import sys
import tempfile
from pathlib import Path

import qtargets


def main(directory: str | None = None) -> None:
    if importlib.util.find_spec("matplotlib") is None:
        print("matplotlib is not installed: pip install 'qtargets[plot]' to draw error maps")
        return
    out = Path(directory) if directory else Path(tempfile.mkdtemp(prefix="qtargets-maps-"))
    out.mkdir(parents=True, exist_ok=True)
    for name in ("ibm_fez", "qpu.aria-1"):
        path = out / f"{name}-error-map.png"
        figure = qtargets.plot_error_map(qtargets.load_calibration(name), path, dpi=80)
        width, height = figure.get_size_inches() * figure.dpi
        print(f"{name}: wrote {path} ({width:.0f} x {height:.0f} px)")


if __name__ == "__main__":
    main(*sys.argv[1:2])
