"""Every script in examples/, and every snippet of the tutorial pages, runs offline.

Each runs in its own process, as a reader would run it: a fresh temporary directory as the
working directory and HOME, no vendor credentials, no calibration store of the developer's,
and every proxy variable pointing at a closed port, so a script that tried the network would
fail instead of quietly using it. A new example is picked up by the glob and must at least
exit cleanly and print something; an entry in ``EXPECTED`` says what it must print.

The Python blocks of the pages in ``TUTORIALS`` run the same way, one page as one script,
except blocks whose first line starts with ``# live`` (they need credentials).
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import qtargets

from reference import snapshots

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
TIMEOUT = 120  # seconds per script; each takes a few

CREDENTIAL_ENV = (
    "QISKIT_IBM_TOKEN", "IBM_CLOUD_API_KEY", "QISKIT_IBM_INSTANCE", "QISKIT_IBM_URL",
    "IONQ_API_KEY", "QTARGETS_IBM_API_URL", "QTARGETS_IBM_IAM_URL", "QTARGETS_IONQ_API_URL",
    "QTARGETS_STORE", "XDG_CACHE_HOME",
)
CLOSED_PORT = "http://127.0.0.1:9"  # the discard port: nothing listens there
TUTORIALS = ["index.md", "getting-started.md", "history.md"]

EXPECTED: dict[str, str] = {
    # a pattern (re.MULTILINE) each script's output must match
    "backend_and_simulation.py": (r"simulated share of 0000 \+ 1111: 0\.\d+ +qtargets esp: 0\.\d+"
                                  r"|qiskit-aer is not installed"),
    "convert_ibm_json.py": r"^ibm_lagos .*7 qubits",
    "device_graph.py": r"most reliable path 0 -> 155: \d+ gates",
    "error_map.py": (r"qpu\.aria-1: wrote .*qpu\.aria-1-error-map\.png \(800 x 800 px\)"
                     r"|matplotlib is not installed"),
    "history_offline.py": r"^worse: qubit 4 t1 ",
    "noise_aware_layout.py": (r"esp_idle qtargets / default = \d+\.\d\d\n"
                              r"under dynamical decoupling: esp qtargets-dd / default = \d+\.\d\d"),
    "rank_devices.py": r"^qpu\.harmony +needs 12 qubits, device has 11$",
    "score_circuit.py": r"^qpu\.forte-1: .*'zz'.*\n  esp 0\.\d+  esp_idle 0\.\d+",
    "transpile_on_bundled.py": r"^ibm_torino: 133 qubits.*\n.*\nestimated success probability",
}


def _lagos_arguments(tmp_path: Path) -> list[str]:
    snap = next(s for s in snapshots() if s.id == "lagos")
    return [str(snap.conf_path), str(snap.props_path), str(tmp_path / "lagos.json")]


def _lagos_file_loads_again(tmp_path: Path) -> None:
    assert qtargets.load_target(str(tmp_path / "lagos.json")).num_qubits == 7


ARGUMENTS: dict[str, Callable[[Path], list[str]]] = {
    "convert_ibm_json.py": _lagos_arguments,
    "transpile_on_bundled.py": lambda _: ["ibm_torino"],
}
AFTERWARDS: dict[str, Callable[[Path], None]] = {
    # checks on what a script wrote, given its working directory
    "convert_ibm_json.py": _lagos_file_loads_again,
}


def _offline_environment(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in CREDENTIAL_ENV and not k.lower().endswith("_proxy")}
    env.update(HOME=str(home), MPLBACKEND="Agg", NO_PROXY="", no_proxy="")
    for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        env[proxy] = env[proxy.lower()] = CLOSED_PORT
    return env


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs_offline_and_prints_its_result(script: Path, tmp_path: Path) -> None:
    arguments = ARGUMENTS.get(script.name, lambda _: [])(tmp_path)
    done = subprocess.run(
        [sys.executable, str(script), *arguments], cwd=tmp_path, env=_offline_environment(tmp_path),
        capture_output=True, text=True, timeout=TIMEOUT, check=False,
    )
    assert done.returncode == 0, f"{script.name} exited {done.returncode}:\n{done.stderr}"
    assert "Traceback" not in done.stderr, done.stderr
    expected = EXPECTED.get(script.name, r"\S")
    assert re.search(expected, done.stdout, re.MULTILINE), (
        f"{script.name} printed:\n{done.stdout}\nexpected to match: {expected}")
    AFTERWARDS.get(script.name, lambda _: None)(tmp_path)


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_says_what_it_shows_and_runs_only_as_a_script(script: Path) -> None:
    module = ast.parse(script.read_text(encoding="utf-8"))
    docstring = ast.get_docstring(module)
    assert docstring, f"{script.name} needs a module docstring saying what it shows"
    assert "Run:" in docstring, f"{script.name}'s docstring should say how to run it"
    guards = [node for node in module.body if isinstance(node, ast.If)
              and ast.unparse(node.test) == "__name__ == '__main__'"]
    assert guards, f"{script.name} needs an `if __name__ == \"__main__\":` guard"



def _offline_blocks(page: str) -> str:
    text = (ROOT / "docs" / page).read_text(encoding="utf-8")
    blocks = re.findall(r"^```python\n(.*?)^```", text, re.MULTILINE | re.DOTALL)
    return "\n".join(b for b in blocks if not b.startswith("# live"))


@pytest.mark.parametrize("page", TUTORIALS)
def test_tutorial_snippets_run_offline(page: str, tmp_path: Path) -> None:
    code = _offline_blocks(page)
    assert code.strip(), f"docs/{page} has no offline Python block"
    script = tmp_path / "snippets.py"
    script.write_text(code, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, env=_offline_environment(tmp_path),
        capture_output=True, text=True, timeout=TIMEOUT, check=False,
    )
    assert done.returncode == 0, f"docs/{page}:\n{done.stderr}"


# -- what the pages say a snippet prints is what it prints ---------------------------------------

_MARK = "\x1e-- end of block {} --"


def _expected_output(block: str) -> tuple[list[list[str]], list[str]]:
    """What a block shows it prints: the runs of comment lines right after a ``print`` line
    and at the block's end, and the comments on its print lines (one printed line each).
    ``...`` stands for anything: within a line, or a line alone for any number of lines.
    (Prose comments go above the code they are about.)"""
    runs: list[list[str]] = []
    inline: list[str] = []
    lines = block.rstrip("\n").splitlines()
    for i, line in enumerate(lines):
        if (m := re.match(r"\s*print\(.*\)\s+# (.*)$", line)):
            inline.append(m.group(1))
        is_comment = line.lstrip().startswith("#")
        starts_run = is_comment and i > 0 and not lines[i - 1].lstrip().startswith("#")
        if starts_run and ("print(" in lines[i - 1] or all(
                rest.lstrip().startswith("#") for rest in lines[i:])):
            end = i
            while end < len(lines) and lines[end].lstrip().startswith("#"):
                end += 1
            runs.append([c.strip()[1:].strip() for c in lines[i:end]])
    return runs, inline


def _line_matches(pattern: str, line: str) -> bool:
    parts = [re.escape(part) for part in pattern.split("...")]
    return re.fullmatch(".*".join(parts), line.strip()) is not None


def _run_matches(pattern: list[str], lines: list[str]) -> bool:
    """Whether ``pattern`` matches a contiguous run of ``lines`` (``...`` alone: any lines)."""
    def at(p: int, i: int) -> bool:
        if p == len(pattern):
            return True
        if pattern[p] == "...":
            return any(at(p + 1, j) for j in range(i, len(lines) + 1))
        return i < len(lines) and _line_matches(pattern[p], lines[i]) and at(p + 1, i + 1)
    return any(at(0, start) for start in range(len(lines) + 1))


@pytest.mark.parametrize("page", TUTORIALS)
def test_tutorial_outputs_shown_are_what_the_snippets_print(page: str, tmp_path: Path) -> None:
    text = (ROOT / "docs" / page).read_text(encoding="utf-8")
    blocks = [b for b in re.findall(r"^```python\n(.*?)^```", text, re.MULTILINE | re.DOTALL)
              if not b.startswith("# live")]
    script = "\n".join(f"{block}\nprint({_MARK.format(i)!r})" for i, block in enumerate(blocks))
    (tmp_path / "snippets.py").write_text(script, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "snippets.py"], cwd=tmp_path, env=_offline_environment(tmp_path),
        capture_output=True, text=True, timeout=TIMEOUT, check=False,
    )
    assert done.returncode == 0, f"docs/{page}:\n{done.stderr}"
    outputs = re.split(r"\x1e-- end of block \d+ --\n", done.stdout)
    checked = 0
    for block, output in zip(blocks, outputs, strict=False):
        printed = output.splitlines()
        runs, inline = _expected_output(block)
        first_line = block.strip().splitlines()[0]
        for run in runs:
            checked += 1
            assert _run_matches(run, printed), (
                f"docs/{page}, the block starting {first_line!r} shows:\n"
                + "\n".join(run) + "\nbut prints:\n" + output)
        for shown in inline:
            checked += 1
            assert any(_line_matches(shown, line) for line in printed), (
                f"docs/{page}, the block starting {first_line!r} shows {shown!r} but "
                f"prints:\n{output}")
    assert checked or page not in OUTPUT_PAGES, f"docs/{page} shows no output to check"


OUTPUT_PAGES = {"getting-started.md", "history.md"}
