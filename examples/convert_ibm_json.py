"""Convert IBM /configuration + /properties JSON files into a Calibration file and a Target.

Run:  python examples/convert_ibm_json.py CONF.json PROPS.json [OUT.json]

The saved file is a qtargets Calibration: `qtargets show OUT.json` summarises it and
`qtargets.load_target("OUT.json")` builds its Target again, offline.
"""

from __future__ import annotations

import sys
from pathlib import Path

import qtargets


def main(conf_path: str, props_path: str, out: str | None = None) -> None:
    calibration = qtargets.ibm.to_calibration(
        Path(conf_path).read_bytes(),
        Path(props_path).read_bytes(),
        source=f"{conf_path} + {props_path}",
    )
    target = qtargets.build_target(calibration)
    print(f"{calibration.backend_name} ({calibration.processor or 'unknown processor'}), "
          f"{calibration.num_qubits} qubits, taken {calibration.taken_at}")
    print(f"operations: {', '.join(sorted(target.operation_names))}")
    print(f"faulty qubits: {list(calibration.faulty_qubits) or 'none'}")
    if out:
        Path(out).write_text(calibration.to_json(), encoding="utf-8")
        print(f"saved {out}")


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    main(*sys.argv[1:])
