"""History survives what usually wipes or doubles it: --full-refresh, and a build killed in the middle of a snapshot."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import clean_env, run_cli
from tests.support import postgres
from tests.support.history import assert_history, query

ENGINES = [pytest.param("duckdb", id="duckdb"), pytest.param("postgres", id="postgres", marks=pytest.mark.postgres)]
HISTORIES = ("hist_sykmelding__sykmeldinger", "hist_aareg__arbeidsforhold", "hist_enhetsregisteret__virksomheter")


def environment(target: str, request: pytest.FixtureRequest) -> dict[str, str]:
    return clean_env(**request.getfixturevalue("pg_env")) if target == "postgres" else clean_env()


def histories(project: Path, target: str, env: dict[str, str]) -> dict[str, list[tuple[object, ...]]]:
    return {
        name: sorted(query(project, target, env, f"select * from historikk.{name}")[1], key=repr) for name in HISTORIES
    }


@pytest.mark.slow
@pytest.mark.parametrize("target", ENGINES)
def test_full_refresh_leaves_every_history_row_in_place(
    target: str, project_copy: Path, request: pytest.FixtureRequest
) -> None:
    env = environment(target, request)
    run_cli(project_copy, "run", "--rows", "300", "--batches", "2", "--target", target, env=env)
    before = histories(project_copy, target, env)
    assert all(before.values()) and any(row for row in before["hist_sykmelding__sykmeldinger"] if row[-1] == "True"), (
        "the example's history records deletions"
    )

    run_cli(project_copy, "run", "--rows", "300", "--batches", "2", "--full-refresh", "--target", target, env=env)
    assert histories(project_copy, target, env) == before, "dataprodukt run --full-refresh changed history"

    dbt = subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), "build", "--full-refresh", "--target", target],
        cwd=project_copy,
        env={
            **env,
            "DBT_PROFILES_DIR": str(project_copy / "profiles"),
            # plain dbt gets the pseudonymisation key the way a user exports it (docs/privacy.md)
            "DATAPRODUKT_PSEUDONYM_KEY": (project_copy / "build" / "pseudonym.key").read_text().strip(),
        },
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert dbt.returncode == 0, dbt.stdout[-4000:]
    assert histories(project_copy, target, env) == before, "dbt build --full-refresh changed history"


def read_until(process: subprocess.Popen[str], marker: str, seen: list[str], timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            raise AssertionError("the job ended before " + repr(marker) + ":\n" + "".join(seen[-40:]))
        seen.append(line)
        if marker in line:
            return
    raise AssertionError(f"no {marker!r} within {timeout}s")


@pytest.mark.slow
@pytest.mark.parametrize("target", ENGINES)
def test_a_build_killed_in_a_snapshot_loses_and_doubles_nothing(
    target: str, project_copy: Path, request: pytest.FixtureRequest
) -> None:
    env = environment(target, request)
    # big enough that the second snapshot of the certificates takes a while (about 30 MB per extract)
    run_cli(project_copy, "generate", "--rows", "300000", "--batches", "1", "--target", target, env=env)
    folders = sorted((project_copy / "build" / "raw").glob("batch_*"))

    process = subprocess.Popen(
        [sys.executable, "-m", "dataprodukt.cli", "load", "--target", target],
        cwd=project_copy,
        env={**env, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    seen: list[str] = []
    try:
        read_until(process, "recording batch_001 in history", seen)
        read_until(process, "START snapshot historikk.hist_sykmelding__sykmeldinger", seen)
        time.sleep(0.5)
        assert process.poll() is None, "the job ended before it could be killed:\n" + "".join(seen[-20:])
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.kill()
        rest, _ = process.communicate(timeout=60)
    output = "".join(seen) + rest
    batch_001 = output.split("recording batch_001 in history", 1)[1]
    assert "OK snapshotted historikk.hist_sykmelding__sykmeldinger" not in batch_001, (
        "the snapshot finished before the kill: make the batch bigger"
    )
    assert process.returncode == -signal.SIGKILL
    _, logged = query(project_copy, target, env, "select batch from raw.lastelogg")
    assert logged == [("batch_000",)], "a killed batch is not logged as loaded"

    # the next run replays batch_001 and finishes; history is exactly the replay of both batches
    run_cli(project_copy, "load", "--target", target, env=env)
    assert_history(project_copy, target, env, folders, "sykmeldinger")
    _, logged = query(project_copy, target, env, "select batch from raw.lastelogg order by batch")
    assert logged == [("batch_000",), ("batch_001",)]


@pytest.mark.postgres
def test_two_history_runs_at_once_record_each_change_once(
    project_copy: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    import json

    from tests.support.history import SM_HEADER, load, sm, write_batches

    env = environment("postgres", request)
    changed = "2025-01-08 10:00:00"
    folders = write_batches(
        tmp_path / "raw",
        [
            {"sykmeldinger": "\n".join([SM_HEADER, sm("SM1"), sm("SM2"), sm("SM3")])},
            {"sykmeldinger": "\n".join([SM_HEADER, sm("SM1", "50", changed), sm("SM3")])},
        ],
    )
    load(project_copy, "postgres", env, folders[:1])
    # batch_001's change, as two overlapping scheduled runs would both find it in raw
    from tests.test_history_integrity import execute

    execute(
        project_copy,
        "postgres",
        env,
        [
            f"update raw.sykmeldinger set sykm_grad = '50', endret_tid = '{changed}' where sykmelding_id = 'SM1'",
            "delete from raw.sykmeldinger where sykmelding_id = 'SM2'",
        ],
    )
    # Hold the source locked so that both runs start their snapshot and wait inside it; release them together once
    # PostgreSQL shows both waiting (on the source, or on the history lock the first one holds).
    blocker = postgres.connect(env)
    blocker.cursor().execute("lock table raw.sykmeldinger in access exclusive mode")
    snapshot = [str(Path(sys.executable).parent / "dbt"), "snapshot", "--select", "hist_sykmelding__sykmeldinger"]
    snapshot += ["--target", "postgres"]
    runs = [
        subprocess.Popen(
            [*snapshot, "--target-path", f"target_{name}", "--log-path", f"logs_{name}"],
            cwd=project_copy,
            # a history's snapshot reads no pseudonymisation key (queries read it from the key table)
            env={**env, "DBT_PROFILES_DIR": str(project_copy / "profiles")},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for name in ("a", "b")
    ]
    try:
        waiting = wait_for_lock_waiters(env, 2, runs)
    finally:
        blocker.rollback()
        blocker.close()
    assert waiting >= 2, "the two snapshot runs never waited at the same time"
    outputs = [run.communicate(timeout=600)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    spans = []
    for name in ("a", "b"):
        results = json.loads((project_copy / f"target_{name}" / "run_results.json").read_text(encoding="utf-8"))
        timing = {step["name"]: step for step in results["results"][0]["timing"]}
        spans.append((timing["execute"]["started_at"], timing["execute"]["completed_at"]))
    (a_start, a_end), (b_start, b_end) = spans
    assert a_start < b_end and b_start < a_end, f"the two runs did not overlap: {spans}"
    assert_history(project_copy, "postgres", env, folders, "sykmeldinger")


def wait_for_lock_waiters(env: dict[str, str], count: int, runs: list[subprocess.Popen[str]]) -> int:
    """Wait (up to 5 minutes) until `count` sessions on the test database wait for a lock; how many did."""
    watcher = postgres.connect(env)
    watcher.autocommit = True
    waiting = 0
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and any(run.poll() is None for run in runs):
            with watcher.cursor() as cursor:
                cursor.execute(
                    "select count(*) from pg_stat_activity where datname = current_database() "
                    "and wait_event_type = 'Lock' and pid <> pg_backend_pid()"
                )
                waiting = int(cursor.fetchone()[0])
            if waiting >= count:
                break
            time.sleep(0.2)
    finally:
        watcher.close()
    return waiting
