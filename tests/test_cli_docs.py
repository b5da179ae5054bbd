"""What docs/cli.md shows a command printing is what it prints.

Every ``console`` example whose command runs offline is run (in a temporary directory holding
the files the page names) and its output compared with the page's, line by line, with runs of
spaces counted as one and table rules skipped; ``...`` stands for anything (within a line, or
alone for any number of lines). The examples that need credentials, a store or a pipe into
another program (``|``) are not run; ``NOT_RUN`` says why for each of the former.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qtargets.cli import app

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "cli.md"
runner = CliRunner()

NOT_RUN = {
    "qtargets fetch ibm_fez": "needs credentials",
    "qtargets export ibm_fez@2025-04-01 -o fez-2025-04-01.json": "needs a stored calibration",
    "qtargets show fez-2025-04-01.json": "needs the file the export above writes",
    "qtargets rank ghz12.qasm": "an illustrative live run",
    "qtargets sweep circuits/ --backends ibm_fez,qpu.aria-1 --seeds 1,2 --level 1 --plot "
    "results.png": "a sweep's worth of transpiling (tests/test_sweep.py runs the command)",
}

GHZ12 = ('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[12];\ncreg c[12];\nh q[0];\n'
         + "".join(f"cx q[{i}],q[{i + 1}];\n" for i in range(11)) + "measure q -> c;\n")
# a Bell pair compiled for ibm_sherbrooke's real calibration of 2024-05-27 on qubits 85 and 84
# (transpile(..., initial_layout=[85, 84]), qasm2.dumps), whose coupler died by 2025-02-26
BELL_SHERBROOKE = ('OPENQASM 2.0;\ninclude "qelib1.inc";\n'
                   "gate ecr q0,q1 { s q0; sx q1; cx q0,q1; x q0; }\nqreg q[127];\ncreg c[2];\n"
                   "rz(-pi) q[84];\nsx q[84];\nrz(-pi) q[84];\nrz(pi/2) q[85];\nsx q[85];\n"
                   "ecr q[85],q[84];\nx q[85];\nmeasure q[85] -> c[0];\nmeasure q[84] -> c[1];\n")
FILES = {
    "ghz12.qasm": GHZ12,
    "bell-sherbrooke.qasm": BELL_SHERBROOKE,
    "broken.qasm": ('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\nh q[0];\n'
                    "cx q[0] q[1];\n"),
    "broken.json": '{"vendor": "ibm", ',  # cut off
    "other.json": '{"vendor": "ibm", "num_qubits": 1, "qubits": [], "instructions": []}',
}


def examples() -> list[tuple[str, list[str]]]:
    """Each ``$ qtargets ...`` line of the page's console blocks, with the lines it shows."""
    found: list[tuple[str, list[str]]] = []
    text = PAGE.read_text(encoding="utf-8")
    for block in re.findall(r"^```console\n(.*?)^```", text, re.M | re.S):
        for chunk in re.split(r"^(?=\$ )", block, flags=re.M):
            if chunk.startswith("$ qtargets"):
                command, _, shown = chunk.partition("\n")
                found.append((command[2:].strip(), shown.splitlines()))
    return found


def _words(lines: list[str]) -> str:
    """The lines as one space-separated text, table rules left out: how a terminal wraps
    a paragraph or pads a table does not count."""
    kept = [line for line in lines if not set(line.strip()) <= set("─━═- ")]
    return " ".join(" ".join(kept).split())


def _matches(shown: list[str], printed: list[str]) -> bool:
    """Whether ``printed`` says what ``shown`` does (``...``: anything, on a line alone or
    within one)."""
    pattern = r"\s*".join(
        ".*" if line.strip() == "..." else
        r"\s*".join(".*".join(re.escape(part) for part in word.split("..."))
                    for word in line.split())
        for line in shown if not set(line.strip()) <= set("─━═- "))
    return re.fullmatch(pattern, _words(printed), re.S) is not None


def _command(line: str) -> str:
    return line.split("  #", maxsplit=1)[0].strip()  # without the comment after it


EXAMPLES = [(c, shown) for c, shown in examples()
            if _command(c) not in NOT_RUN and "|" not in _command(c)]


def test_every_example_not_run_is_on_the_page_and_the_others_are_run() -> None:
    on_page = [_command(c) for c, _ in examples()]
    assert set(NOT_RUN) <= set(on_page), "NOT_RUN names an example the page no longer has"
    assert len(EXAMPLES) >= 10


@pytest.mark.parametrize(("command", "shown"), EXAMPLES, ids=[c for c, _ in EXAMPLES])
def test_the_page_shows_what_the_command_prints(command: str, shown: list[str],
                                                tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    narrow = "80 columns wide" in command  # as the command's comment says
    command = _command(command)
    for name, content in FILES.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    env = {"COLUMNS": "80", "TTY_COMPATIBLE": "1"} if narrow else {}
    result = runner.invoke(app, shlex.split(command)[1:], env={"COLUMNS": "100", **env})
    # a terminal's colours and progress bar (stderr) are not what the page shows
    printed = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "",
                     result.stdout if result.exit_code == 0 else result.output)
    assert _matches(shown, printed.splitlines()), (
        f"docs/cli.md shows for `{command}`:\n" + "\n".join(shown)
        + "\n\nbut it prints:\n" + printed)
