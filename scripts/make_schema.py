"""Regenerate docs/calibration.schema.json from the Calibration model.

Run:  python scripts/make_schema.py   (tests/test_docs.py fails while the file is stale)
"""

from __future__ import annotations

import json
from pathlib import Path

import qtargets

OUT = Path(__file__).resolve().parent.parent / "docs" / "calibration.schema.json"


def render() -> str:
    return json.dumps(qtargets.calibration_json_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    OUT.write_text(render(), encoding="utf-8")
    print(f"wrote {OUT}")
