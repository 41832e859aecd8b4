"""Dated deliveries into history: an archive of old extracts recorded as it was known, in order or refused.

An archive of monthly full extracts (folders named by their delivery time, one dated by its delivery.json) is
recorded with `dataprodukt load --from`; every history row is compared with the independent SCD2 model of
tests/support/history.py, with gyldig_fra/gyldig_til the delivery times. On DuckDB the load is killed part-way
and resumed, and the one-pass path is compared row by row (ids included) with one history run per delivery
(`--one-by-one`); then deliveries that can't be recorded are refused with history untouched: out of order, in the
future, a folder name that is no time, two deliveries at one time, a truncated extract (until confirmed), and a bad
key in one table of a delivery (no history gets the delivery). The both-clock macros' hand-computed answers are dbt
unit tests of the example, run by every engine's build; their results are read here from the run log.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import BuiltExample, clean_env, copy_project, run_cli
from tests.support.history import (
    ALLOW_DELETIONS,
    HISTORY,
    KEY,
    SM_HEADER,
    expected_history,
    history_columns,
    query,
    sm,
    text,
    write_batches,
)
from tests.test_history_safety import read_until

META = {"gyldig_fra", "gyldig_til", "historikk_id", "oppdatert_tidspunkt", "er_slettet"}
T0, T1, T2, T3, T4 = (f"2024-0{month}-15 08:00:00" for month in range(1, 6))
VIRKSOMHETER_HEADER = "ORGNR,NAVN,NAERINGSKODE,KOMMUNENR"
A_OSLO, A_MOLDE, B_SOLA = "900000001,A AS,86.211,0301", "900000001,A AS,86.211,1506", "900000002,B AS,47.111,1124"


def delivery(sykmeldinger: list[str], virksomheter: list[str]) -> dict[str, str]:
    return {
        "sykmeldinger": "\n".join([SM_HEADER, *sykmeldinger]),
        "virksomheter": "\n".join([VIRKSOMHETER_HEADER, *virksomheter]),
    }


# six monthly full extracts: changes, deletions, a key back with its old values, values back to an earlier version
ARCHIVE = [
    ("2024-01-31", delivery([sm("SM1"), sm("SM2"), sm("SM3"), sm("SM4")], [A_OSLO, B_SOLA])),
    ("2024-02-29", delivery([sm("SM1", "50", T1), sm("SM2"), sm("SM4"), sm("SM5", changed=T1)], [A_OSLO, B_SOLA])),
    (
        "2024-03-31T06-00-00",
        delivery([sm("SM1", "20", T2), sm("SM2"), sm("SM3"), sm("SM5", changed=T1)], [A_MOLDE]),
    ),
    (
        "2024-04-30",
        delivery([sm("SM1", "50", T1), sm("SM2"), sm("SM3"), sm("SM4", "80", T3)], [A_OSLO, B_SOLA]),
    ),
    (
        "mai",  # dated by its delivery.json, not its name
        delivery(
            [sm("SM1", "50", T1), sm("SM2", "60", T4), sm("SM3"), sm("SM4", "80", T3), sm("SM5", changed=T1)],
            [A_OSLO, B_SOLA],
        ),
    ),
    ("2024-06-30", delivery([sm("SM1", "50", T1), sm("SM3"), sm("SM4", "80", T3), sm("SM5", changed=T1)], [A_OSLO])),
]
TIMES = [datetime(2024, 1, 31), datetime(2024, 2, 29), datetime(2024, 3, 31, 6), datetime(2024, 4, 30)]
TIMES += [datetime(2024, 5, 31, 23, 30), datetime(2024, 6, 30)]


def archive(tmp_path: Path) -> list[Path]:
    (tmp_path / "archive").mkdir()
    written = write_batches(tmp_path / "written", [tables for _, tables in ARCHIVE])
    folders = [path.rename(tmp_path / "archive" / name) for path, (name, _) in zip(written, ARCHIVE, strict=True)]
    (tmp_path / "archive" / "mai" / "delivery.json").write_text(
        json.dumps({"delivered_at": "2024-06-01T01:30:00+02:00"}), encoding="utf-8"
    )
    return folders


def load_from(project: Path, target: str, env: dict[str, str], folder: Path, *extra: str) -> Any:
    return run_cli(project, "load", "--from", str(folder), *ALLOW_DELETIONS, *extra, "--target", target, env=env)


def history_rows(project: Path, target: str, env: dict[str, str], table: str) -> list[tuple[Any, ...]]:
    """The history as (key, gyldig_fra, gyldig_til or None for current, deleted, values)."""
    names, rows = query(project, target, env, f"select * from historikk.{HISTORY[table]}")
    found = []
    for row in rows:
        record = dict(zip(names, row, strict=True))
        end = record["gyldig_til"]
        found.append(
            (
                record[KEY[table]],
                record["gyldig_fra"],
                None if end.year == 9999 else end,
                record["er_slettet"] == "True",
                tuple(sorted((name, text(value)) for name, value in record.items() if name not in META)),
            )
        )
    return sorted(found, key=repr)


def assert_dated_history(project: Path, target: str, env: dict[str, str], folders: list[Path], table: str) -> None:
    """Every row as the independent model has it, with gyldig_fra/gyldig_til the deliveries' times."""
    versions, _ = expected_history(folders, table)
    columns = history_columns(project, target, env, table)
    expected = sorted(
        (
            (
                version.key,
                TIMES[version.start],
                None if version.end is None else TIMES[version.end],
                version.deleted,
                tuple(sorted((name, text(version.values.get(name))) for name in columns)),
            )
            for version in versions
        ),
        key=repr,
    )
    actual = history_rows(project, target, env, table)
    missing = [row for row in expected if row not in actual]
    extra = [row for row in actual if row not in expected]
    assert not missing and not extra and len(actual) == len(expected), (
        f"{HISTORY[table]}:\n missing {missing}\n unexpected {extra}"
    )


def whole_histories(project: Path, target: str, env: dict[str, str]) -> dict[str, list[tuple[Any, ...]]]:
    return {
        table: sorted(query(project, target, env, f"select * from historikk.{name}")[1], key=repr)
        for table, name in {**HISTORY, "arbeidsforhold": "hist_aareg__arbeidsforhold"}.items()
    }


# DuckDB's run of the archive path is in the test after this one (killed and resumed)
@pytest.mark.postgres
@pytest.mark.parametrize("engine", ["postgres"])
def test_a_dated_archive_is_recorded_as_it_was_known(
    engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    env = clean_env(**request.getfixturevalue("pg_env")) if engine == "postgres" else clean_env()
    project = copy_project(tmp_path / "project")
    folders = archive(tmp_path)
    result = load_from(project, engine, env, tmp_path / "archive")
    assert "delivery 6 of 6 kept: 2024-06-30 (2024-06-30 00:00:00)" in result.stdout, result.stdout[-3000:]
    assert "elapsed, about" in result.stdout
    for table in HISTORY:
        assert_dated_history(project, engine, env, folders, table)
    _, logged = query(project, engine, env, "select batch, delivered_at from raw.lastelogg order by delivered_at")
    assert logged == [(folder.name, str(moment)) for folder, moment in zip(folders, TIMES, strict=True)]
    # an exact replay adds nothing
    again = load_from(project, engine, env, tmp_path / "archive")
    assert "history already holds every delivery of the archive" in again.stdout


def test_an_archive_load_killed_part_way_resumes_and_equals_one_run_per_delivery(tmp_path: Path) -> None:
    env = clean_env()
    project = copy_project(tmp_path / "project")
    folders = archive(tmp_path)
    process = subprocess.Popen(
        [sys.executable, "-m", "dataprodukt.cli", "load", "--from", str(tmp_path / "archive"), *ALLOW_DELETIONS],
        cwd=project,
        env={**env, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    seen: list[str] = []
    try:
        read_until(process, "delivery 3 of 6 kept", seen)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.kill()
        process.communicate(timeout=60)
    _, logged = query(project, "duckdb", env, "select batch from raw.lastelogg")
    assert logged == [("2024-01-31",)], "only the first delivery is recorded before the one-pass run"

    resumed = run_cli(project, "load", "--from", str(tmp_path / "archive"), *ALLOW_DELETIONS, env=env)
    assert "delivery 1 of 5 already kept: 2024-02-29" in resumed.stdout, resumed.stdout[-3000:]
    for table in HISTORY:
        assert_dated_history(project, "duckdb", env, folders, table)

    one_by_one = copy_project(tmp_path / "one-by-one")
    load_from(one_by_one, "duckdb", env, tmp_path / "archive", "--one-by-one")
    assert whole_histories(one_by_one, "duckdb", env) == whole_histories(project, "duckdb", env)

    # ---- deliveries that can't be recorded: each named with its times, nothing written --------------------------
    before = whole_histories(project, "duckdb", env)
    bad = tmp_path / "bad"
    older, no_time, future, twin = write_batches(bad / "written", [ARCHIVE[1][1], ARCHIVE[1][1], *[ARCHIVE[5][1]] * 2])
    older = older.rename(bad / "2024-06-15")
    no_time = no_time.rename(bad / "2024-13-45")
    future = future.rename(bad / "2999-01-01")
    (twin / "delivery.json").write_text(json.dumps({"delivered_at": "2024-04-30T00:00:00"}), encoding="utf-8")
    refused = run_cli(
        project,
        "load",
        *[arg for path in (older, no_time, future, twin) for arg in ("--batch", str(path))],
        env=env,
        check=False,
    )
    output = refused.stdout + refused.stderr
    assert refused.returncode == 2, output[-3000:]
    assert f"{no_time}: the folder name '2024-13-45' is not a delivery time" in output
    assert f"{future}: delivery time 2999-01-01 00:00:00 (folder name) is in the future" in output
    assert f"{twin} and 2024-04-30 (already in history) are both delivered at 2024-04-30 00:00:00" in output
    assert f"{older}: delivered at 2024-06-15 00:00:00, older than the delivery 2024-06-30 already in history" in output
    assert whole_histories(project, "duckdb", env) == before

    # a truncated extract (no certificates at all) with a change in another table: no history gets it until confirmed
    truncated, bad_key = write_batches(
        bad / "more",
        [
            delivery([], [A_MOLDE, B_SOLA]),
            delivery([sm("SM1", "10", T4), sm("SM3"), sm("SM4", "80", T3), sm("SM5", changed=T1)], [A_OSLO, A_OSLO]),
        ],
    )
    truncated = truncated.rename(bad / "2024-07-31")
    bad_key = bad_key.rename(bad / "2024-08-31")
    refused = run_cli(project, "load", "--batch", str(bad_key), env=env, check=False)
    output = refused.stdout + refused.stderr
    assert refused.returncode == 2, output[-3000:]
    assert (
        "hist_enhetsregisteret__virksomheter: in stg_enhetsregisteret__virksomheter (raw batch 2024-08-31, delivered "
        "2024-08-31 00:00:00), organisasjonsnummer '900000001' appears 2 times"
    ) in output
    refused = run_cli(project, "load", "--batch", str(truncated), env=env, check=False)
    output = refused.stdout + refused.stderr
    assert refused.returncode == 2, output[-3000:]
    assert (
        "hist_sykmelding__sykmeldinger: raw batch 2024-07-31, delivered 2024-07-31 00:00:00 would delete 4 keys, "
        "100.0% of 4 live keys (more than the 10% set by meta.max_deleted_share in "
        "snapshots/hist_sykmelding__sykmeldinger.yml)"
    ) in output and "--allow-deletions hist_sykmelding__sykmeldinger" in output
    assert whole_histories(project, "duckdb", env) == before
    _, logged = query(project, "duckdb", env, "select count(*) from raw.lastelogg")
    assert logged == [(6,)]

    confirmed = run_cli(
        project, "load", "--batch", str(truncated), "--allow-deletions", "hist_sykmelding__sykmeldinger", env=env
    )
    assert "deletes 4 keys (100.0% of 4 live keys), confirmed by --allow-deletions" in confirmed.stdout
    assert_dated_history_after(project, env, [*folders, truncated])

    # a plain dbt snapshot with an older delivery time is refused by the history's own pre-hook
    before = whole_histories(project, "duckdb", env)
    dbt = str(Path(sys.executable).parent / "dbt")
    older_time = json.dumps({"leveringstidspunkt": "2024-07-01 00:00:00"})
    older_run = subprocess.run(
        [dbt, "snapshot", "--select", "hist_sykmelding__sykmeldinger", "--vars", older_time],
        cwd=project,
        env={**env, "DBT_PROFILES_DIR": str(project / "profiles")},
        capture_output=True,
        text=True,
        check=False,
    )
    assert older_run.returncode != 0
    assert (
        "hist_sykmelding__sykmeldinger: the delivery now in raw (raw batch 2024-07-31, delivered 2024-07-01 00:00:00) "
        "is older than the newest version in history (2024-07-31 00:00:00)"
    ) in " ".join(older_run.stdout.split()), older_run.stdout[-3000:]
    assert whole_histories(project, "duckdb", env) == before


def assert_dated_history_after(project: Path, env: dict[str, str], folders: list[Path]) -> None:
    TIMES.append(datetime(2024, 7, 31))
    try:
        for table in HISTORY:
            assert_dated_history(project, "duckdb", env, folders, table)
    finally:
        TIMES.pop()


BOTH_CLOCKS = {
    "as_of_reads_the_version_known_then",
    "valid_at_reads_what_was_true_on_the_day_as_known_now",
    "valid_at_as_of_reads_what_was_true_on_the_day_as_known_then",
}


def unit_test_results(example: BuiltExample) -> set[tuple[str, str]]:
    """The both-clock macros' unit tests (hand-computed answers) as the example's build ran them (run log)."""
    names = ", ".join(f"'{name}'" for name in sorted(BOTH_CLOCKS))
    _, rows = query(
        example.root,
        example.target,
        example.env,
        f"select distinct name, status from drift.noderesultater where name in ({names})",
    )
    return {(str(name), str(status)) for name, status in rows}


@pytest.mark.parametrize(
    "example",
    [
        pytest.param("example_duckdb", id="duckdb"),
        pytest.param("example_postgres", id="postgres", marks=pytest.mark.postgres),
    ],
)
def test_the_both_clock_macros_give_the_hand_computed_answers(example: str, request: pytest.FixtureRequest) -> None:
    built: BuiltExample = request.getfixturevalue(example)
    assert unit_test_results(built) == {(name, "pass") for name in BOTH_CLOCKS}
