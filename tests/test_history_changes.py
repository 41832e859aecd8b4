"""A history of a source that delivers only its changes (meta.history_source: changes), on DuckDB and PostgreSQL
(the BigQuery emulator's run is in tests/bigquery/test_bigquery_history_changes.py).

A small dbt project (tests/projects/history_changes) with the template's own macros records change batches one by
one: the loader's own class loads the batch into raw, then `dbt build` runs the snapshot and its integrity tests.
The expected SCD2 rows are computed here in Python from the batches alone and compared row by row with the history.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from dataprodukt.core.warehouse import DuckDBWarehouse
from tests.conftest import REPO, clean_env
from tests.support import postgres

PROJECT = Path(__file__).parent / "projects" / "history_changes"
HISTORY = "historikk.hist_kilde__stillinger"
RAW_COLUMNS = ("STILLING_ID", "TITTEL", "PROSENT", "ENDRET_TID", "ENDRINGSTYPE")
COLUMNS = ("stilling_id", "tittel", "stillingsprosent", "endret_tidspunkt", "endringstype")
SELECT = f"select {', '.join(COLUMNS)}, gyldig_fra, gyldig_til, er_slettet from {HISTORY}"
T0, T1, T2 = "2025-01-01 10:00:00", "2025-02-01 10:00:00", "2025-03-01 10:00:00"

Row = tuple[str | None, str, str, str, str]

BATCHES: list[list[Row]] = [
    # the first extract: every key as new; a deletion of a key never seen is left out
    [
        ("S1", "Rådgiver", "100", T0, "I"),
        ("S2", "Konsulent", "80", T0, "I"),
        ("S3", "Leder", "100", T0, "I"),
        ("S9", "Ukjent", "50", T0, "D"),
    ],
    # an update; a row re-sent with the same last-changed time (no new version: that column is trusted);
    # a deletion; a new key; a deletion of a key never seen
    [
        ("S1", "Seniorrådgiver", "100", T1, "U"),
        ("S2", "Konsulent", "60", T0, "U"),
        ("S3", "Leder", "100", T1, "D"),
        ("S4", "Ny", "100", T1, "I"),
        ("S8", "Borte", "100", T1, "D"),
    ],
    # nothing changed: an empty extract deletes nothing
    [],
    # a re-insert after a deletion, a deletion, an update
    [("S3", "Leder", "100", T2, "I"), ("S4", "Ny", "100", T2, "D"), ("S1", "Seniorrådgiver", "50", T2, "U")],
    # a deletion, and a deletion of a key already deleted (nothing to do)
    [("S3", "Leder", "100", T2, "D"), ("S4", "Ny", "100", T2, "D")],
    # the same extract again (a replay after a crash): nothing new
    [("S3", "Leder", "100", T2, "D"), ("S4", "Ny", "100", T2, "D")],
]

ENGINES = [pytest.param("duckdb", id="duckdb"), pytest.param("postgres", id="postgres", marks=pytest.mark.postgres)]


@dataclass
class Project:
    """The small project in a temp folder, on one target, and how to reach its warehouse with the loader's class
    (connected only while loading or reading: DuckDB allows one process on a file, and dbt runs in its own)."""

    root: Path
    target: str
    env: dict[str, str]
    connect: Callable[[], Any]

    def load(self, rows: list[Row]) -> None:
        """Load one change extract into raw.stillinger as `dataprodukt load` does (every field as text)."""
        path = self.root / "stillinger.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(RAW_COLUMNS)
            writer.writerows(rows)
        with closing(self.connect()) as store:
            store.replace_tables("raw", {"stillinger": (path, list(RAW_COLUMNS))})

    def dbt(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [str(Path(sys.executable).parent / "dbt"), *args, "--target", self.target, "--profiles-dir", "."],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"dbt {' '.join(args)} exited {result.returncode}\n{result.stdout[-6000:]}")
        return result

    def history(self) -> list[tuple[Any, ...]]:
        """The history's rows: the values of COLUMNS, then gyldig_fra, gyldig_til, er_slettet."""
        with closing(self.connect()) as store:
            return list(store.query(SELECT))


def make_project(folder: Path, target: str, env: dict[str, str], connect: Callable[[], Any]) -> Project:
    root = folder / "history_changes"
    shutil.copytree(PROJECT, root)
    shutil.copytree(REPO / "macros", root / "macros", ignore=shutil.ignore_patterns("__pycache__"))
    return Project(root, target, env, connect)


@pytest.fixture(params=ENGINES)
def project(request: pytest.FixtureRequest, tmp_path: Path) -> Project:
    if request.param == "postgres":
        env = request.getfixturevalue("pg_env")
        return make_project(tmp_path, "postgres", clean_env(**env), lambda: postgres.warehouse(env))
    database = tmp_path / "history.duckdb"
    env = clean_env(HISTORY_CHANGES_DUCKDB=str(database))
    return make_project(tmp_path, "duckdb", env, lambda: DuckDBWarehouse(database))


# ---- the independent model ----------------------------------------------------------------------------------
@dataclass
class Version:
    key: str
    values: Row
    start: int
    end: int | None = None
    deleted: bool = False


def expected_history(batches: list[list[Row]]) -> tuple[list[Version], list[int]]:
    """SCD2 versions after recording ``batches`` of changes, and the batches that changed anything."""
    versions: list[Version] = []
    current: dict[str, Version] = {}
    changed_in: list[int] = []
    for number, rows in enumerate(batches):
        changed = False
        for row in rows:
            key = str(row[0])
            before = current.get(key)
            live = before is not None and not before.deleted
            if row[4] == "D":
                if before is not None and live:
                    before.end = number
                    current[key] = Version(key, before.values, number, deleted=True)
                    versions.append(current[key])
                    changed = True
                continue
            if before is not None and live and before.values[3] == row[3]:
                continue  # the last-changed time decides whether a row changed
            if before is not None:
                before.end = number
            current[key] = Version(key, row, number)
            versions.append(current[key])
            changed = True
        if changed:
            changed_in.append(number)
    return versions, changed_in


def value_text(value: Any) -> str | None:
    """One spelling for a value on every engine and in the batches (timestamps without a time zone)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat(sep=" ")
    return str(value)


def actual_history(project: Project, changed_in: list[int]) -> list[tuple[Any, ...]]:
    """The history as (key, start batch, end batch, deleted, values), its times mapped to batches."""
    rows = project.history()
    width = len(COLUMNS)
    times = sorted({row[width] for row in rows})
    assert len(times) == len(changed_in), f"{len(times)} runs changed the history, expected {len(changed_in)}"
    batch_of = dict(zip(times, changed_in, strict=True))
    return sorted(
        (
            row[0],
            batch_of[row[width]],
            None if row[width + 1].year == 9999 else batch_of[row[width + 1]],
            row[width + 2] == "True",
            tuple(value_text(value) for value in row[:width]),
        )
        for row in rows
    )


def as_rows(versions: list[Version]) -> list[tuple[Any, ...]]:
    return sorted((v.key, v.start, v.end, v.deleted, v.values) for v in versions)


def replay_and_compare(project: Project) -> None:
    """Record every batch (load, then `dbt build` with the integrity tests), then compare the whole history."""
    for rows in BATCHES:
        project.load(rows)
        result = project.dbt("build")
        assert "ERROR=0" in result.stdout and "PASS=" in result.stdout, result.stdout[-3000:]
    versions, changed_in = expected_history(BATCHES)
    assert changed_in == [0, 1, 3, 4], "the model itself: batches 2 and 5 change nothing"
    assert actual_history(project, changed_in) == as_rows(versions)
    keys = [row[0] for row in project.history()]
    # a deletion of a key never seen (S9, S8) leaves no row; S3 went live, was deleted, came back, was deleted
    assert "S9" not in keys and "S8" not in keys
    assert keys.count("S3") == 4


# ---- the tests ----------------------------------------------------------------------------------------------
def test_change_batches_give_exactly_the_expected_history(project: Project) -> None:
    replay_and_compare(project)


BAD = {
    "duplicate key": ([("S1", "A", "100", T1, "U"), ("S1", "B", "100", T2, "U")], "stilling_id 'S1' appears 2 times"),
    "null key": ([("S1", "A", "100", T1, "U"), (None, "B", "100", T2, "I")], "stilling_id is null in 1 row(s)"),
}


@pytest.mark.parametrize("name", list(BAD))
def test_a_bad_key_in_a_change_batch_stops_and_writes_nothing(name: str, project: Project) -> None:
    project.load(BATCHES[0])
    project.dbt("build")
    before = sorted(project.history())
    rows, message = BAD[name]
    project.load(rows)

    result = project.dbt("build", check=False)

    assert result.returncode != 0
    output = " ".join(result.stdout.split())
    assert f"hist_kilde__stillinger: in stg_kilde__stillinger (the raw extract now loaded), {message}" in output
    assert "Nothing was written to history" in output
    assert sorted(project.history()) == before


CONFIGS = {
    "unknown kind": (
        "history_source: changes",
        "history_source: delta",
        "hist_kilde__stillinger: meta.history_source is 'delta'. Write 'full' (every extract holds every key; "
        "the default) or 'changes'",
    ),
    "no deletion flag": (
        "        deleted_when: \"endringstype = 'D'\"\n    data_tests:",
        "    data_tests:",
        "hist_kilde__stillinger: meta.history_source is 'changes' but meta.deleted_when is missing in "
        "snapshots/hist_kilde__stillinger.yml. Give the SQL condition",
    ),
}


@pytest.mark.parametrize("name", list(CONFIGS))
def test_a_wrong_history_source_config_is_named(name: str, tmp_path: Path) -> None:
    database = tmp_path / "history.duckdb"
    env = clean_env(HISTORY_CHANGES_DUCKDB=str(database))
    project = make_project(tmp_path, "duckdb", env, lambda: DuckDBWarehouse(database))
    old, new, message = CONFIGS[name]
    path = project.root / "snapshots" / "hist_kilde__stillinger.yml"
    content = path.read_text(encoding="utf-8")
    assert old in content
    path.write_text(content.replace(old, new), encoding="utf-8")
    project.load(BATCHES[0])

    result = project.dbt("build", check=False)

    assert result.returncode != 0
    assert message in " ".join(result.stdout.split()), result.stdout[-3000:]
    with closing(project.connect()) as store:
        made = store.query("select count(*) from information_schema.tables where table_name = 'hist_kilde__stillinger'")
    assert made == [(0,)], "nothing is created before the config is fixed"
