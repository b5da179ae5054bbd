"""Regenerate the calibrations bundled in ``src/qtargets/data/`` from real IBM snapshots.

The numbers (layer fidelities and coupler numbers from ``properties.general`` included)
come unchanged from the configuration/properties snapshots that
qiskit-ibm-runtime ships under ``qiskit_ibm_runtime/fake_provider/backends/`` (IBM's own
calibration data, published by IBM under Apache-2.0); this script converts them with
``qtargets.ibm.to_calibration`` and records that origin in each file's provenance.

Run:  python scripts/make_bundled.py   (needs the ``test`` extra: qiskit-ibm-runtime)
"""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

import qiskit_ibm_runtime.fake_provider.backends as snapshots

import qtargets
from qtargets.model import Provenance

# snapshot directory -> why it is bundled
BUNDLED = {
    "fez": "Heron r2, 156 qubits",
    "torino": "Heron r1, 133 qubits",
    "sherbrooke": "Eagle r3, 127 qubits",
    "miami": "Nighthawk r1, 120 qubits, square lattice",
    "boston": "Heron r3, 156 qubits, with the measure_2/reset_2 instructions",
}

OUT = Path(__file__).resolve().parent.parent / "src" / "qtargets" / "data"


def main() -> None:
    root = Path(snapshots.__file__).parent
    runtime_version = version("qiskit-ibm-runtime")
    OUT.mkdir(parents=True, exist_ok=True)
    for directory, why in BUNDLED.items():
        conf = root / directory / f"conf_{directory}.json"
        props = root / directory / f"props_{directory}.json"
        cal = qtargets.ibm.to_calibration(conf.read_bytes(), props.read_bytes())
        cal = cal.with_provenance(Provenance(
            source=(f"qiskit-ibm-runtime {runtime_version} snapshot "
                    f"fake_provider/backends/{directory}/{conf.name} + {props.name}"),
            notes=f"{why}. Real IBM Quantum calibration data (Apache-2.0), converted "
                  "unchanged by scripts/make_bundled.py.",
        ))
        target = OUT / f"{cal.backend_name}.json"
        target.write_text(cal.to_json() + "\n", encoding="utf-8")
        print(f"{target.relative_to(OUT.parent.parent.parent)}: {cal.num_qubits} qubits, "
              f"taken {cal.taken_at:%Y-%m-%d %H:%M} UTC, {target.stat().st_size // 1024} KiB")


if __name__ == "__main__":
    main()
