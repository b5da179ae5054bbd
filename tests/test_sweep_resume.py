"""sweep(out=..., resume=True): every finished run is on disk as it finishes, and a stopped
sweep resumed gives exactly the records of one run straight through."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from qiskit import QuantumCircuit
from qiskit.circuit import Parameter
from typer.testing import CliRunner

import qtargets
from qtargets import SweepError
from qtargets.cli import app
from qtargets.sweeps import COLUMNS, SweepRecord, SweepRecords, circuit_hash, sweep
from small_circuits import ghz, ring

DEVICES = ("ibm_fez", "qpu.aria-1")
METHODS = ("default", "qtargets")


CIRCUITS = [ghz(3), ring(4), ghz(5)]
RUNS = len(CIRCUITS) * len(DEVICES) * len(METHODS) * 2  # 24


class StopSweepError(Exception):
    """What the progress callback raises to stop a sweep half-way."""


def run(executor: object = None, **options: object) -> SweepRecords:
    return sweep(CIRCUITS, DEVICES, methods=METHODS, seeds=[1, 2], optimization_level=1,
                 executor=executor, **options)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def straight() -> SweepRecords:
    """The sweep run straight through, writing no file."""
    with ThreadPoolExecutor(1) as pool:
        return run(pool)


@pytest.fixture
def one_thread() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(1) as pool:
        yield pool


def assert_same(records: list[SweepRecord], straight: list[SweepRecord]) -> None:
    assert len(records) == len(straight)
    for ours, theirs in zip(records, straight, strict=True):
        assert ours.same_result(theirs), (ours, theirs)


def stop_after(k: int, seen: list[tuple[int, int]] | None = None) -> object:
    def progress(done: int, total: int) -> None:
        if seen is not None:
            seen.append((done, total))
        if done >= k:
            raise StopSweepError
    return progress


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_a_sweep_stopped_half_way_and_resumed_gives_the_records_of_one_run_straight_through(
        suffix: str, straight: SweepRecords, one_thread: ThreadPoolExecutor,
        tmp_path: Path) -> None:
    out = tmp_path / f"results{suffix}"
    with pytest.raises(StopSweepError):
        run(one_thread, out=out, progress=stop_after(10))
    on_disk = SweepRecords.read(out)
    assert len(on_disk) == 10  # every run finished before the stop is on disk, each complete
    assert_same(on_disk, straight[:10])  # one worker takes them in order

    seen: list[tuple[int, int]] = []
    resumed = run(one_thread, out=out, resume=True,
                  progress=lambda done, total: seen.append((done, total)))
    assert_same(resumed, straight)
    assert resumed.resumed == 10
    assert seen == [(done, RUNS) for done in range(10, RUNS + 1)]  # the bar starts at 10
    # the file ends as one written straight through: every run, in run order
    assert_same(SweepRecords.read(out), straight)
    for kept, read in zip(resumed, SweepRecords.read(out), strict=True):
        assert kept.transpile_seconds == read.transpile_seconds  # every figure exact

    again = run(one_thread, out=out, resume=True)  # nothing left to run
    assert again.resumed == RUNS
    assert_same(again, straight)


def test_the_default_process_pool_stops_and_resumes_as_well(straight: SweepRecords,
                                                            tmp_path: Path) -> None:
    out = tmp_path / "results.csv"
    with pytest.raises(StopSweepError):
        run(out=out, max_workers=2, progress=stop_after(7))
    assert 7 <= len(SweepRecords.read(out)) < RUNS  # runs finished before the stop are kept
    resumed = run(out=out, max_workers=2, resume=True)
    assert_same(resumed, straight)
    assert resumed.resumed >= 7


KILLED_SCRIPT = """\
import os, signal, sys
from concurrent.futures import ThreadPoolExecutor
sys.path.insert(0, {tests!r})
from test_sweep_resume import run

def progress(done, total):
    if done == {k}:
        os.kill(os.getpid(), signal.SIGKILL)  # as the OOM killer or a lost node would

if __name__ == "__main__":
    with ThreadPoolExecutor(1) as pool:
        run(pool, out={out!r}, progress=progress)
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="POSIX signals")
def test_a_killed_sweep_loses_no_finished_run_and_resumes_where_it_stopped(
        straight: SweepRecords, one_thread: ThreadPoolExecutor, tmp_path: Path) -> None:
    out = tmp_path / "results.jsonl"
    script = tmp_path / "killed.py"
    script.write_text(KILLED_SCRIPT.format(tests=str(Path(__file__).parent), k=5,
                                           out=str(out)), encoding="utf-8")
    finished = subprocess.run([sys.executable, str(script)], cwd=tmp_path, check=False,
                              capture_output=True, text=True, timeout=300)
    assert finished.returncode == -signal.SIGKILL, finished.stderr
    assert_same(SweepRecords.read(out), straight[:5])
    resumed = run(one_thread, out=out, resume=True)
    assert resumed.resumed == 5
    assert_same(resumed, straight)


def test_a_line_cut_off_by_a_kill_is_left_out_and_its_run_run_again(
        straight: SweepRecords, one_thread: ThreadPoolExecutor, tmp_path: Path) -> None:
    out = tmp_path / "results.csv"
    SweepRecords(straight[:4]).to_csv(out)
    lines = out.read_text(encoding="utf-8").splitlines(keepends=True)
    out.write_text("".join(lines[:-1]) + lines[-1][:30], encoding="utf-8")  # half a row
    with pytest.warns(qtargets.QTargetsWarning, match="the last line of .* was cut off"):
        resumed = run(one_thread, out=out, resume=True)
    assert resumed.resumed == 3
    assert_same(resumed, straight)


def test_an_edited_circuit_of_the_same_name_is_run_again_not_taken_from_the_file(
        straight: SweepRecords, one_thread: ThreadPoolExecutor, tmp_path: Path) -> None:
    out = tmp_path / "results.csv"
    SweepRecords(straight).to_csv(out)
    edited = ring(4)
    edited.x(0)  # same name, another circuit
    with pytest.warns(qtargets.QTargetsWarning, match=r"8 record\(s\) in .* belong to no run "
                                                      r"of this sweep .* kept at the end"):
        records = sweep([CIRCUITS[0], edited, CIRCUITS[2]], DEVICES, methods=METHODS,
                        seeds=[1, 2], optimization_level=1, executor=one_thread, out=out,
                        resume=True)
    assert records.resumed == RUNS - 8
    assert {r.circuit_hash for r in records if r.circuit == "ring_4"} == {circuit_hash(edited)}
    on_disk = SweepRecords.read(out)
    assert len(on_disk) == RUNS + 8  # the old ring_4 runs are kept, at the end
    assert_same(on_disk[RUNS:], [r for r in straight if r.circuit == "ring_4"])


def test_without_resume_the_file_is_started_afresh(straight: SweepRecords,
                                                   one_thread: ThreadPoolExecutor,
                                                   tmp_path: Path) -> None:
    out = tmp_path / "results.csv"
    SweepRecords(straight).to_csv(out)
    records = sweep([ghz(3)], ["ibm_fez"], methods=["default"], seeds=[1],
                    optimization_level=1, executor=one_thread, out=out)
    assert records.resumed == 0
    assert_same(SweepRecords.read(out), records)


class _KillsItsWorker:
    """Unpickled, it kills the process unpickling it with SIGKILL (as test_sweep's)."""

    def __reduce__(self) -> tuple[object, ...]:
        return (signal.raise_signal, (signal.SIGKILL,))


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="POSIX signals")
def test_runs_lost_to_a_dead_worker_are_not_on_disk_and_a_resumed_sweep_runs_them(
        one_thread: ThreadPoolExecutor, tmp_path: Path) -> None:
    killer = ghz(3)
    killer.metadata = {"kill": _KillsItsWorker()}  # metadata is not what the circuit does
    circuits = {"first": ghz(3), "second": ghz(4), "killer": killer, "after": ghz(3)}
    out = tmp_path / "results.csv"
    with pytest.warns(qtargets.QTargetsWarning, match=r"2 of 4 runs did not finish .* "
                                                      r"resume=True runs the others again"):
        records = sweep(circuits, ["ibm_fez"], methods=["default"], optimization_level=1,
                        max_workers=1, out=out)
    assert [r.circuit for r in records.lost] == ["killer", "after"]
    assert [r.circuit for r in SweepRecords.read(out)] == ["first", "second"]

    circuits["killer"] = ghz(3)  # the same circuit, without what killed the worker
    resumed = sweep(circuits, ["ibm_fez"], methods=["default"], optimization_level=1,
                    executor=one_thread, out=out, resume=True)
    assert resumed.resumed == 2
    assert not resumed.failed
    assert [r.circuit for r in SweepRecords.read(out)] == ["first", "second", "killer", "after"]


def test_a_circuit_hash_is_what_the_circuit_does_the_same_in_every_process() -> None:
    theta = Parameter("θ")
    circuit = ghz(4)
    circuit.rz(theta, 2)
    digest = circuit_hash(circuit)
    renamed = circuit.copy(name="other")
    renamed.metadata = {"note": "not part of what it does"}
    assert circuit_hash(renamed) == digest
    moved = ghz(4)
    moved.rz(theta, 1)
    assert circuit_hash(moved) != digest
    bound = circuit.assign_parameters([0.5])
    assert circuit_hash(bound) != circuit_hash(circuit.assign_parameters([0.25]))
    custom = QuantumCircuit(2)
    custom.append(ghz(2).remove_final_measurements(inplace=False).to_gate(label="g"), [0, 1])
    other = QuantumCircuit(2)
    other.append(ring(2).remove_final_measurements(inplace=False).to_gate(label="g"), [0, 1])
    assert circuit_hash(custom) != circuit_hash(other)  # a custom gate by its definition
    code = ("import sys; sys.path.insert(0, sys.argv[1]); from test_sweep_resume import ghz; "
            "from qtargets.sweeps import circuit_hash; print(circuit_hash(ghz(5)))")
    other_process = subprocess.run([sys.executable, "-c", code, str(Path(__file__).parent)],
                                   check=True, capture_output=True, text=True, timeout=120)
    assert other_process.stdout.strip() == circuit_hash(ghz(5))


def test_bad_files_and_options_are_sweep_errors(tmp_path: Path) -> None:
    with pytest.raises(SweepError, match="resume=True resumes the sweep written to out="):
        sweep([ghz(3)], ["ibm_fez"], resume=True)
    with pytest.raises(SweepError, match=r"the suffix must be \.csv or \.jsonl, got '\.txt'"):
        sweep([ghz(3)], ["ibm_fez"], out=tmp_path / "results.txt")
    foreign = tmp_path / "foreign.csv"
    foreign.write_text("name,value\nx,1\n", encoding="utf-8")
    with pytest.raises(SweepError, match="its columns are not a sweep's"):
        sweep([ghz(3)], ["ibm_fez"], out=foreign, resume=True)
    bad = tmp_path / "bad.csv"
    row = ["ghz_3", "", "ibm_fez", "", "", "default", "one", "1", *[""] * (len(COLUMNS) - 8)]
    bad.write_text(",".join(COLUMNS) + "\n" + ",".join(row) + "\n", encoding="utf-8")
    with pytest.raises(SweepError, match=r"bad.csv: line 2: seed: 'one' is not what a sweep "
                                         r"writes there"):
        SweepRecords.read(bad)
    lines = tmp_path / "bad.jsonl"
    lines.write_text('{"circuit": "ghz_3"}\n', encoding="utf-8")
    with pytest.raises(SweepError, match=r"bad.jsonl: line 1: not a sweep record"):
        SweepRecords.read(lines)


QASM = ('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[{n}];\ncreg c[{n}];\nh q[0];\n'
        "{cx}measure q -> c;\n")


def test_the_sweep_command_resumes_what_its_out_file_holds(tmp_path: Path) -> None:
    circuits = tmp_path / "circuits"
    circuits.mkdir()
    for n in (3, 4):
        cx = "".join(f"cx q[{i}], q[{i + 1}];\n" for i in range(n - 1))
        (circuits / f"ghz{n}.qasm").write_text(QASM.format(n=n, cx=cx), encoding="utf-8")
    out = tmp_path / "results.csv"
    args = ["sweep", str(circuits), "-b", "ibm_fez,qpu.aria-1", "--methods", "default",
            "--seeds", "1,2", "--level", "0", "--workers", "1", "--out", str(out)]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "8 runs (0 failed) -> " in first.output
    whole = SweepRecords.read(out)
    lines = out.read_text(encoding="utf-8").splitlines(keepends=True)
    out.write_text("".join(lines[:6]), encoding="utf-8")  # the header and 5 runs

    resumed = CliRunner().invoke(app, [*args, "--resume"])
    assert resumed.exit_code == 0, resumed.output
    assert "8 runs (0 failed; 5 already in results.csv) -> " in resumed.output
    assert_same(SweepRecords.read(out), whole)

    both = CliRunner().invoke(app, [*args, "--scheduler", "tcp://127.0.0.1:1"])
    assert both.exit_code == 2
    assert "give one or the other" in both.output
    text = CliRunner().invoke(app, [*args[:-2], "--out", str(tmp_path / "results.txt")])
    assert text.exit_code == 2
    assert "the suffix must be .csv or .jsonl" in text.output
