"""Regenerate the IonQ calibrations bundled in ``src/qtargets/data/``.

IonQ publishes device-wide figures (mean fidelities, gate and readout times) rather than
per-qubit calibration files, so each bundled device is built from its published figures, as
an IonQ v0.3 characterization payload, and converted by ``qtargets.ionq.to_calibration``.
Every figure is listed with its source in the file's provenance; a figure we could not find
published is left out (``None``), never guessed.

Run:  python scripts/make_bundled_ionq.py
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import qtargets
from qtargets.model import Provenance

OUT = Path(__file__).resolve().parent.parent / "src" / "qtargets" / "data"

# backend -> (qubits, fidelity, timing (s), sources of the figures, what is missing)
DEVICES: dict[str, dict[str, Any]] = {
    "qpu.harmony": {
        "qubits": 11,
        "fidelity": {"1q": 0.9973, "2q": 0.9002, "spam": 0.993},
        "timing": {"1q": 10e-6, "2q": 200e-6, "readout": 130e-6, "reset": 20e-6,
                   "t1": 10000.0, "t2": 0.2},
        "sources": "IonQ API v0.3 documentation, sample characterization of qpu.harmony "
                   "(fidelities, 1q/2q/readout/reset times, T1, T2)",
        "missing": "none",
    },
    "qpu.aria-1": {
        "qubits": 25,
        "fidelity": {"1q": 0.9998, "2q": 0.9872, "spam": 0.9937},
        "timing": {"1q": 135e-6, "2q": 600e-6, "readout": 300e-6},
        "sources": "IonQ Aria published specifications as listed by IonQ and cloud providers "
                   "(Azure Quantum / Amazon Braket device pages): 1q 99.98%, 2q 98.72%, "
                   "SPAM 99.37%, 1q 135 us, 2q (MS) 600 us, readout 300 us",
        "missing": "reset time, T1 and T2 (not published with these figures)",
    },
    "qpu.forte-1": {
        "qubits": 36,
        "fidelity": {"1q": 0.9998, "2q": 0.9932, "spam": 0.9959},
        "timing": {"1q": 130e-6, "2q": 970e-6, "readout": 150e-6, "t1": 100.0, "t2": 1.0},
        "sources": "IonQ Forte published specifications as listed by IonQ and cloud providers: "
                   "1q 99.98%, 2q 99.32%, SPAM 99.59%, 1q 130 us, ZZ 970 us, readout 150 us, "
                   "T1 ~100 s, T2 ~1 s",
        "missing": "reset time (not published with these figures)",
    },
    "qpu.forte-enterprise-1": {
        "qubits": 36,
        "fidelity": {},
        "timing": {},
        "sources": "IonQ's announcement of Forte Enterprise (36 qubits, #AQ 36, Forte-family "
                   "ZZ gate); the API's backend list (qpu.forte-enterprise-1)",
        "missing": "all fidelities and times: IonQ has not published per-operation figures "
                   "for this system that we could source, so they are left out rather than "
                   "copied from Forte",
    },
}


def payload(backend: str, device: dict[str, Any]) -> dict[str, Any]:
    """The device's figures as an IonQ v0.3 characterization (mean fidelities, seconds)."""
    return {
        "backend": backend,
        "qubits": device["qubits"],
        "fidelity": {kind: {"mean": value} for kind, value in device["fidelity"].items()},
        "timing": device["timing"],
    }


def calibration(backend: str) -> qtargets.Calibration:
    device = DEVICES[backend]
    cal = qtargets.ionq.to_calibration(payload(backend, device))
    return cal.with_provenance(Provenance(
        source=f"published specifications of IonQ {backend}: {device['sources']}",
        notes=f"{cal.provenance.notes}. Not published, so left out: {device['missing']}. "
              "Device-wide figures: every qubit and pair carries the same numbers. All "
              "pairs connected (single-chain trapped-ion devices). Measurement date not "
              "published.",
    ))


def main() -> None:
    for backend in DEVICES:
        target = OUT / f"{backend}.json"
        target.write_text(calibration(backend).to_json() + "\n", encoding="utf-8")
        print(f"{target.name}: {DEVICES[backend]['qubits']} qubits, "
              f"{target.stat().st_size // 1024} KiB")


if __name__ == "__main__":
    main()
