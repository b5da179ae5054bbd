"""qtargets.sweep: every combination run on an executor, one tidy record each."""

from __future__ import annotations

import csv
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

import qtargets
from qtargets import SweepError
from qtargets.backends import backend
from qtargets.cli import app
from qtargets.sweeps import COLUMNS, SweepRecord, SweepRecords, sweep
from small_circuits import ghz, ring

DEVICES = ("ibm_fez", "qpu.aria-1")


CIRCUITS = [ghz(4), ring(6)]


@pytest.fixture(scope="module")
def calibrations() -> list[qtargets.Calibration]:
    return [qtargets.load_calibration(name) for name in DEVICES]


@pytest.fixture(scope="module")
def on_the_default_pool(calibrations: list[qtargets.Calibration]) -> SweepRecords:
    return sweep(CIRCUITS, calibrations, methods=["default", "qtargets"], seeds=[1, 2],
                 optimization_level=1, max_workers=2)


def test_one_record_per_combination_in_a_fixed_order(on_the_default_pool: SweepRecords) -> None:
    keys = [(r.circuit, r.device, r.method, r.seed) for r in on_the_default_pool]
    assert keys == [(c.name, d, m, s) for c in CIRCUITS for d in DEVICES
                    for m in ("default", "qtargets") for s in (1, 2)]
    assert not on_the_default_pool.failed
    for record in on_the_default_pool:
        assert record.taken_at == qtargets.load_calibration(record.device).taken_at
        assert record.transpile_seconds is not None
        assert record.transpile_seconds > 0


def test_each_record_is_what_transpiling_and_scoring_in_process_gives(
        on_the_default_pool: SweepRecords) -> None:
    for record in on_the_default_pool[::3]:
        fake = backend(qtargets.load_calibration(record.device))
        options = {"layout_method": "qtargets"} if record.method == "qtargets" else {}
        circuit = next(c for c in CIRCUITS if c.name == record.circuit)
        compiled = fake.pass_manager(1, seed_transpiler=record.seed, **options).run(circuit)
        score = qtargets.score(compiled, fake.target)
        assert (record.esp, record.esp_idle, record.log_esp_idle, record.duration,
                record.two_qubit_gates, record.depth) == (
            score.esp, score.esp_idle, score.log_esp_idle, score.duration,
            score.two_qubit_gates, score.depth)


def test_calibrations_reach_each_worker_once_not_with_every_run(
        on_the_default_pool: SweepRecords) -> None:
    transfers = on_the_default_pool.transfers
    workers = {worker for worker, _ in transfers}
    assert 1 <= len(workers) <= 2
    assert set(transfers.values()) == {1}           # never twice to one worker
    assert sum(transfers.values()) <= len(workers) * len(DEVICES) < len(on_the_default_pool)


@pytest.fixture(scope="module")
def dask_executor() -> Iterator[object]:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, silence_logs=50) as cluster, \
            distributed.Client(cluster) as client:
        yield client.get_executor()


def test_a_dask_cluster_gives_identical_records(
        calibrations: list[qtargets.Calibration], on_the_default_pool: SweepRecords,
        dask_executor: object) -> None:
    on_dask = sweep(CIRCUITS, calibrations, methods=["default", "qtargets"], seeds=[1, 2],
                    optimization_level=1, executor=dask_executor)  # type: ignore[arg-type]
    assert len(on_dask) == len(on_the_default_pool)
    for ours, theirs in zip(on_the_default_pool, on_dask, strict=True):
        assert ours.same_result(theirs), (ours, theirs)
    assert set(on_dask.transfers.values()) == {1}
    assert sum(on_dask.transfers.values()) <= 2 * len(DEVICES)


def test_any_executor_works_and_builds_each_target_once_per_process(
        calibrations: list[qtargets.Calibration], on_the_default_pool: SweepRecords) -> None:
    with ThreadPoolExecutor(2) as threads:
        records = sweep(CIRCUITS, calibrations, methods=["default", "qtargets"],
                        seeds=[1, 2], optimization_level=1, executor=threads)
    for a, b in zip(records, on_the_default_pool, strict=True):
        assert a.same_result(b), (a, b)
    assert records.transfers == {(worker, key): 1 for worker, key in records.transfers}
    assert len(records.transfers) == len(DEVICES)  # one process: each Target built once


def test_a_failing_combination_is_a_record_with_its_error_not_a_crash() -> None:
    harmony = qtargets.load_calibration("qpu.harmony")  # 11 qubits
    records = sweep([ghz(12), ghz(3)], [harmony], methods=["default"],
                    executor=ThreadPoolExecutor(1))
    too_wide, fine = records
    assert too_wide.error is not None
    assert too_wide.error.startswith("TranspilerError: ")
    assert "TranspilerError: '" not in too_wide.error  # qiskit's message, not its repr
    assert too_wide.esp is None
    assert too_wide.esp_idle is None
    assert fine.error is None
    assert fine.esp is not None
    assert records.failed == [too_wide]


def test_calibration_days_of_one_device_are_separate_records() -> None:
    today = qtargets.load_calibration("ibm_fez")
    assert today.taken_at is not None
    yesterday = replace(today, taken_at=today.taken_at - timedelta(days=1))
    records = sweep([ghz(3)], [yesterday, today], methods=["default"], optimization_level=1,
                    executor=ThreadPoolExecutor(1))
    assert [r.taken_at for r in records] == [yesterday.taken_at, today.taken_at]
    assert {r.device for r in records} == {"ibm_fez"}


def test_methods_can_be_named_or_given_as_pass_manager_options() -> None:
    fez = qtargets.load_calibration("ibm_fez")
    records = sweep({"bell": ghz(2)}, [fez], methods={"dense": {"layout_method": "dense"}},
                    seeds=[None], executor=ThreadPoolExecutor(1), optimization_level=0)
    assert [(r.circuit, r.method, r.seed) for r in records] == [("bell", "dense", None)]
    with pytest.raises(SweepError, match="unknown method 'magic'"):
        sweep([ghz(2)], [fez], methods=["magic"])
    with pytest.raises(SweepError, match="at least one circuit"):
        sweep([], [fez])
    with pytest.raises(qtargets.BackendInputError, match="got int"):  # the one resolver's
        sweep([ghz(2)], [42])


def test_exports_csv_pandas_and_a_plot(on_the_default_pool: SweepRecords,
                                       tmp_path: Path) -> None:
    path = on_the_default_pool.to_csv(tmp_path / "results.csv")
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(on_the_default_pool)
    assert rows[0]["circuit"] == "ghz_4"
    assert float(rows[0]["esp_idle"]) > 0
    assert list(rows[0]) == list(COLUMNS)  # what was run, then what came of it
    assert set(COLUMNS) == set(SweepRecord.__dataclass_fields__)

    pandas = pytest.importorskip("pandas")
    frame = on_the_default_pool.to_pandas()
    assert isinstance(frame, pandas.DataFrame)
    assert len(frame) == len(on_the_default_pool)

    pytest.importorskip("matplotlib")
    image = tmp_path / "results.png"
    on_the_default_pool.plot(image)
    from matplotlib.image import imread  # noqa: PLC0415  (optional dependency)

    pixels = imread(image)
    assert pixels.shape[0] > 200
    assert pixels.std() > 0.05


# -- the command line ---------------------------------------------------------------------------


GHZ_QASM = """OPENQASM 2.0;
include "qelib1.inc";
qreg q[3];
creg c[3];
h q[0];
cx q[0], q[1];
cx q[1], q[2];
measure q -> c;
"""

BELL_QASM3 = """OPENQASM 3.0;
include "stdgates.inc";
qubit[2] q;
bit[2] c;
h q[0];
cx q[0], q[1];
c = measure q;
"""


def test_the_sweep_command_writes_one_csv_row_per_run_and_a_plot(tmp_path: Path) -> None:
    circuits = tmp_path / "circuits"
    circuits.mkdir()
    (circuits / "ghz3.qasm").write_text(GHZ_QASM, encoding="utf-8")
    (circuits / "bell.qasm").write_text(BELL_QASM3, encoding="utf-8")
    out, plot = tmp_path / "results.csv", tmp_path / "results.png"
    result = CliRunner().invoke(app, [
        "sweep", str(circuits), "--backends", "ibm_fez,qpu.aria-1", "--methods",
        "default,qtargets", "--level", "0", "--workers", "1", "--out", str(out),
        "--plot", str(plot)])
    assert result.exit_code == 0, result.output
    assert "8 runs (0 failed)" in result.output
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert {(r["circuit"], r["device"], r["method"]) for r in rows} == {
        (c, d, m) for c in ("bell", "ghz3") for d in ("ibm_fez", "qpu.aria-1")
        for m in ("default", "qtargets")}
    assert plot.stat().st_size > 10_000

    empty = tmp_path / "empty"
    empty.mkdir()
    failed = CliRunner().invoke(app, ["sweep", str(empty), "--backends", "ibm_fez"])
    assert failed.exit_code == 2
    assert "no *.qasm files" in failed.output


# -- workers that die -----------------------------------------------------------------------------


UNGUARDED_SCRIPT = """\
import qtargets
from qiskit import QuantumCircuit

ghz = QuantumCircuit(3, name="ghz_3")
ghz.h(0)
ghz.cx(0, 1)
ghz.cx(1, 2)
ghz.measure_all()

records = qtargets.sweep([ghz], ["ibm_fez", "qpu.aria-1"], methods=["default", "qtargets"],
                         seeds=[1, 2], optimization_level=1, max_workers=2)
print(len(records), "records")
"""


def test_a_sweep_without_a_main_guard_fails_fast_saying_what_to_do(tmp_path: Path) -> None:
    script = tmp_path / "unguarded.py"  # the docs' first snippet, as a plain script would be
    script.write_text(UNGUARDED_SCRIPT, encoding="utf-8")
    began = time.monotonic()
    finished = subprocess.run([sys.executable, str(script)], cwd=tmp_path, check=False,
                              capture_output=True, text=True, timeout=60)  # it used to hang
    assert finished.returncode != 0, finished.stdout
    assert "records" not in finished.stdout
    # each worker re-imports the script: the sweep it starts there refuses at once...
    assert "SweepError: sweep was called in a worker process that is still starting" in (
        finished.stderr)
    # ...and the script itself gets the typed error, naming the fix, once the workers died
    assert "SweepError: sweep: the worker processes died while starting" in finished.stderr
    assert 'start the sweep under `if __name__ == "__main__":`' in finished.stderr
    assert time.monotonic() - began < 60


class _KillsItsWorker:
    """Unpickled, it kills the process unpickling it with SIGKILL, as the kernel's OOM killer
    would: a worker taking a run that carries it dies there, with nothing sent back."""

    def __reduce__(self) -> tuple[object, ...]:
        return (signal.raise_signal, (signal.SIGKILL,))


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="POSIX signals")
def test_a_killed_worker_loses_no_finished_record() -> None:
    killer = ghz(3)
    killer.metadata = {"kill": _KillsItsWorker()}
    circuits = {"first": ghz(3), "second": ghz(4), "killer": killer, "after": ghz(3)}
    progress: list[tuple[int, int]] = []
    # one worker takes the runs in order: two finish, then it dies taking the third
    with pytest.warns(qtargets.QTargetsWarning, match=r"a worker process died .*: 2 of 4 runs "
                                                      r"did not finish .* the 2 finished are "
                                                      r"kept"):
        records = sweep(circuits, ["ibm_fez"], methods=["default"], optimization_level=1,
                        max_workers=1, progress=lambda done, total: progress.append(
                            (done, total)))
    first, second, killed, after = records
    assert [r.circuit for r in records] == ["first", "second", "killer", "after"]
    for finished in (first, second):
        assert finished.error is None
        assert finished.esp is not None
    for lost in (killed, after):
        assert lost.error == "BrokenProcessPool: a worker process died before this run finished"
        assert lost.esp is None
        assert lost.device == "ibm_fez"
    assert records.failed == [killed, after]
    assert progress == [(done, 4) for done in range(1, 5)]  # the bar still reaches the end
