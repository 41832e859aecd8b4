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
from tests.history_support import assert_history, query

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
        env={**env, "DBT_PROFILES_DIR": str(project_copy / "profiles")},
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
