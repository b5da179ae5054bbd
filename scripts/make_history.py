"""Rebuild the bundled calibration history in ``src/qtargets/data/history/`` from the
snapshots that past qiskit-ibm-runtime releases shipped.

Each release of qiskit-ibm-runtime ships ``conf_*``/``props_*`` snapshots of IBM devices
under ``qiskit_ibm_runtime/fake_provider/backends/`` (IBM's own calibration data, Apache-2.0),
refreshed every year or so: so the releases together hold real calibrations of the same
device on different days. This script reads chosen releases' wheels (a wheel is a zip: nothing
is installed), keeps each distinct ``props`` file once (the newest release that shipped it, so
its configuration is the most corrected one), converts it with ``qtargets.ibm.to_calibration``
and writes ``history/<backend>/<taken_at>.json.gz``: the Calibration JSON, gzip-compressed
without a timestamp, so the same wheels always give byte-identical files. The provenance of
each says which release and which files it came from.

Run:  python scripts/make_history.py                 (downloads the wheels with pip)
      python scripts/make_history.py --wheels DIR    (wheels already in DIR, no network)
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import qtargets
from qtargets.model import Calibration, Provenance

# Enough to hold every distinct snapshot of DEVICES: the 2023 snapshots were last shipped in
# 0.23.0, the 2024 (and January 2025) ones in 0.37.0, the February 2025 ones until today.
# Surveyed: every minor release 0.18.0-0.51.0 holds no other snapshot of these devices.
RELEASES = ("0.23.0", "0.37.0", "0.51.0")

# snapshot directory -> why its history is bundled (kyiv's two days would add nothing
# brisbane's do not, and the tests use ibm_kyiv as an IBM device with nothing bundled)
DEVICES = {
    "sherbrooke": "Eagle r3, 127 qubits: 2023-01, 2024-05 and 2025-02",
    "torino": "Heron r1, 133 qubits: 2024-02 and 2025-02",
    "fez": "Heron r2, 156 qubits: 2025-01 and 2025-02, a month apart",
    "marrakesh": "Heron r2, 156 qubits: 2025-01 and 2025-02, a month apart",
    "brisbane": "Eagle r3, 127 qubits: 2024-02 and 2025-02",
}

PACKAGE = "qiskit-ibm-runtime"
SNAPSHOTS = "qiskit_ibm_runtime/fake_provider/backends"
OUT = Path(__file__).resolve().parent.parent / "src" / "qtargets" / "data" / "history"


@dataclass
class Found:
    """One distinct snapshot: the newest release shipping it, and every release that did."""

    release: str
    conf: bytes
    props: bytes
    releases: list[str] = field(default_factory=list)


def _key(release: str) -> tuple[int, ...]:
    return tuple(int(part) for part in release.split("."))


def wheel_of(release: str, wheels: Path) -> Path:
    """The wheel of ``release`` in ``wheels``, downloaded there with pip if absent."""
    pattern = f"qiskit_ibm_runtime-{release}-*.whl"
    found = sorted(wheels.glob(pattern))
    if not found:
        subprocess.run([sys.executable, "-m", "pip", "download", f"{PACKAGE}=={release}",
                        "--no-deps", "--only-binary", ":all:", "-d", str(wheels), "-q"],
                       check=True)
        found = sorted(wheels.glob(pattern))
    if not found:
        raise SystemExit(f"no wheel of {PACKAGE} {release} in {wheels}")
    return found[0]


def collect(releases: list[str], devices: list[str], wheels: Path
            ) -> dict[str, list[Found]]:
    """Every distinct snapshot of each device among the releases' wheels."""
    found: dict[str, dict[str, Found]] = {d: {} for d in devices}
    for release in sorted(releases, key=_key, reverse=True):  # newest first: it wins
        with zipfile.ZipFile(wheel_of(release, wheels)) as wheel:
            names = set(wheel.namelist())
            for device in devices:
                conf = f"{SNAPSHOTS}/{device}/conf_{device}.json"
                props = f"{SNAPSHOTS}/{device}/props_{device}.json"
                if conf not in names or props not in names:
                    continue
                body = wheel.read(props)
                digest = hashlib.sha256(body).hexdigest()
                kept = found[device].setdefault(
                    digest, Found(release, wheel.read(conf), body))
                kept.releases.append(release)
    return {d: list(by_hash.values()) for d, by_hash in found.items()}


def convert(device: str, snapshot: Found, why: str) -> Calibration:
    cal = qtargets.ibm.to_calibration(snapshot.conf, snapshot.props)
    shipped = sorted(snapshot.releases, key=_key)
    return cal.with_provenance(Provenance(
        source=(f"{PACKAGE} {snapshot.release} wheel: {SNAPSHOTS}/{device}/"
                f"conf_{device}.json + props_{device}.json"),
        notes=(f"{why}. Real IBM Quantum calibration data (Apache-2.0), converted unchanged "
               f"by scripts/make_history.py; the same props file is in {PACKAGE} "
               f"{', '.join(shipped)} (of the releases read)."),
    ))


def file_name(cal: Calibration) -> str:
    """``2025-02-26T201625Z.json.gz``: sortable, and valid on every file system."""
    if cal.taken_at is None:
        raise SystemExit(f"{cal.backend_name}: a snapshot without a date cannot be placed "
                         "in a history")
    return f"{cal.taken_at:%Y-%m-%dT%H%M%SZ}.json.gz"


def write(calibrations: list[Calibration], out: Path) -> list[Path]:
    """Each calibration as gzip'd JSON (no timestamp in the header: reproducible), and no
    other file left in the devices' directories."""
    written: list[Path] = []
    for cal in sorted(calibrations, key=lambda c: (c.backend_name, c.taken_at)):
        directory = out / cal.backend_name
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / file_name(cal)
        if path in written:
            raise SystemExit(f"two different snapshots of {cal.backend_name} taken at "
                             f"{cal.taken_at}: {path.name}")
        path.write_bytes(gzip.compress((cal.to_json() + "\n").encode(), 9, mtime=0))
        written.append(path)
    for directory in {p.parent for p in written}:
        for stale in directory.glob("*.json.gz"):
            if stale not in written:
                stale.unlink()
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheels", type=Path,
                        help="directory holding the wheels (missing ones are downloaded "
                             "there); default: a temporary directory")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--release", action="append", dest="releases",
                        help=f"a {PACKAGE} release to read (repeatable; default: "
                             f"{' '.join(RELEASES)})")
    parser.add_argument("--device", action="append", dest="devices",
                        help="a snapshot directory, e.g. fez (repeatable; default: "
                             f"{' '.join(DEVICES)})")
    args = parser.parse_args(argv)
    releases = args.releases or list(RELEASES)
    devices = args.devices or list(DEVICES)
    with tempfile.TemporaryDirectory() as scratch:
        found = collect(releases, devices, args.wheels or Path(scratch))
    calibrations = [convert(device, snapshot, DEVICES.get(device, device))
                    for device, snapshots in found.items() for snapshot in snapshots]
    written = write(calibrations, args.out)
    total = 0
    for path in written:
        size = path.stat().st_size
        total += size
        print(f"{path.parent.name}/{path.name}: {size / 1024:.1f} KiB")
    print(f"{len(written)} calibrations, {total / 1024:.1f} KiB in {args.out}")


if __name__ == "__main__":
    main()
