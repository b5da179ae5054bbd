"""Sweeps on a Dask cluster: a LocalCluster of two worker processes on 127.0.0.1 stands in for
a real one. The same records as anywhere else, each finished run on disk as it finishes, a
stopped sweep resumed, a killed worker costing no finished run, and ``qtargets sweep
--scheduler``."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from qtargets.cli import app
from qtargets.sweeps import SweepRecord, SweepRecords, sweep
from small_circuits import ghz

distributed = pytest.importorskip("distributed")

DEVICES = ("ibm_fez", "qpu.aria-1")
METHODS = ("default", "qtargets")


CIRCUITS = [ghz(3), ghz(4), ghz(5)]
RUNS = len(CIRCUITS) * len(DEVICES) * len(METHODS) * 2  # 24


def run(executor: object, **options: object) -> SweepRecords:
    return sweep(CIRCUITS, DEVICES, methods=METHODS, seeds=[1, 2], optimization_level=1,
                 executor=executor, **options)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None,
                                  silence_logs=50) as running:
        yield running


@pytest.fixture(scope="module")
def client(cluster: Any) -> Iterator[Any]:
    with distributed.Client(cluster, set_as_default=False) as connected:
        yield connected


@pytest.fixture(scope="module")
def straight() -> SweepRecords:
    """The sweep run straight through in this process."""
    with ThreadPoolExecutor(1) as pool:
        return run(pool)


def assert_same(records: list[SweepRecord], straight: list[SweepRecord]) -> None:
    assert len(records) == len(straight)
    for ours, theirs in zip(records, straight, strict=True):
        assert ours.same_result(theirs), (ours, theirs)


class StopSweepError(Exception):
    """What the progress callback raises to stop a sweep half-way."""


def test_a_client_runs_the_sweep_on_its_workers_with_the_same_records(
        client: Any, straight: SweepRecords, tmp_path: Path) -> None:
    out = tmp_path / "results.csv"
    records = run(client, out=out)  # the Client itself; client.get_executor() works too
    assert_same(records, straight)
    assert_same(SweepRecords.read(out), straight)
    workers = {worker for worker, _ in records.transfers}
    assert len(workers) == 2  # both worker processes took runs
    assert set(records.transfers.values()) == {1}  # each calibration built once per worker
    assert sum(records.transfers.values()) <= 2 * len(DEVICES)


def test_a_sweep_stopped_half_way_on_dask_and_resumed_gives_the_same_records(
        client: Any, straight: SweepRecords, tmp_path: Path) -> None:
    out = tmp_path / "results.jsonl"

    def stop(done: int, total: int) -> None:
        if done >= 8:
            raise StopSweepError

    with pytest.raises(StopSweepError):
        run(client.get_executor(), out=out, progress=stop)
    kept = SweepRecords.read(out)
    assert 8 <= len(kept) < RUNS
    assert all(any(r.same_result(s) for s in straight) for r in kept)
    seen: list[tuple[int, int]] = []
    resumed = run(client, out=out, resume=True,
                  progress=lambda done, total: seen.append((done, total)))
    assert_same(resumed, straight)
    assert resumed.resumed == len(kept)
    assert seen[0] == (len(kept), RUNS)
    assert seen[-1] == (RUNS, RUNS)
    assert_same(SweepRecords.read(out), straight)


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="POSIX signals")
def test_a_worker_killed_mid_sweep_costs_no_finished_run(
        client: Any, straight: SweepRecords, tmp_path: Path) -> None:
    out = tmp_path / "results.csv"
    on_disk: list[int] = []
    killed: list[str] = []

    def kill_a_worker(done: int, total: int) -> None:
        if done == 6:
            on_disk.append(len(SweepRecords.read(out)))
            killed.append(next(iter(client.scheduler_info()["workers"])))
            with contextlib.suppress(Exception):  # it dies instead of answering
                client.run(_die, workers=killed)

    records = run(client, out=out, progress=kill_a_worker)
    assert on_disk == [6]  # the finished runs were on disk before the worker died
    deadline = time.monotonic() + 30
    while killed[0] in client.scheduler_info()["workers"] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert killed[0] not in client.scheduler_info()["workers"]  # it did die
    # Dask ran the dead worker's unfinished runs again elsewhere: nothing lost
    assert not records.lost
    assert_same(records, straight)
    assert_same(SweepRecords.read(out), straight)


def test_the_sweep_command_runs_on_a_scheduler_and_resumes(
        cluster: Any, straight: SweepRecords, tmp_path: Path) -> None:
    circuits = tmp_path / "circuits"
    circuits.mkdir()
    for circuit in CIRCUITS:
        n = circuit.num_qubits
        cx = "".join(f"cx q[{i}], q[{i + 1}];\n" for i in range(n - 1))
        (circuits / f"{circuit.name}.qasm").write_text(
            f'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[{n}];\ncreg meas[{n}];\nh q[0];\n'
            f"{cx}barrier q;\nmeasure q -> meas;\n", encoding="utf-8")
    out = tmp_path / "results.csv"
    args = ["sweep", str(circuits), "-b", ",".join(DEVICES), "--methods", ",".join(METHODS),
            "--seeds", "1,2", "--level", "1", "--scheduler", cluster.scheduler_address,
            "--out", str(out)]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    assert f"{RUNS} runs (0 failed) -> " in first.output
    records = SweepRecords.read(out)
    for ours, theirs in zip(records, straight, strict=True):  # circuits read from QASM files
        assert (ours.circuit, ours.device, ours.method, ours.seed, ours.esp) == (
            theirs.circuit, theirs.device, theirs.method, theirs.seed, theirs.esp)
    again = CliRunner().invoke(app, [*args, "--resume"])
    assert again.exit_code == 0, again.output
    assert f"{RUNS} runs (0 failed; {RUNS} already in results.csv)" in again.output

    nowhere = CliRunner().invoke(app, [*args[:-4], "--scheduler", "tcp://127.0.0.1:9",
                                       "--timeout", "2", "--out", str(out)])
    assert nowhere.exit_code == 2
    assert "--scheduler tcp://127.0.0.1:9: cannot reach the Dask scheduler" in nowhere.output
