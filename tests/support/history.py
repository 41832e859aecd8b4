"""Helpers for the history tests: hand-written batches, an independent SCD2 model in Python, and the real history.

The expected history is computed here from the batch files alone, with no dbt and no SQL, and compared row by
row with what the warehouse holds. Times are compared as the batch that set them: every history run stamps its
rows with one clock time (transaction time), so the n-th distinct gyldig_fra of a history is the n-th batch
that changed something in it.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.conftest import run_cli
from tests.support import postgres

# raw column -> staged column, per raw table (the staging models' renames)
STAGED = {
    "sykmeldinger": {
        "SYKMELDING_ID": "sykmelding_id",
        "FNR": "fodselsnummer",
        "ORGNR": "organisasjonsnummer",
        "FOM_DATO": "fra_og_med_dato",
        "TOM_DATO": "til_og_med_dato",
        "SYKM_GRAD": "sykmeldingsgrad",
        "DIAGNOSEGRUPPE": "diagnosegruppe",
        "ENDRET_TID": "endret_tidspunkt",
        "DIAGNOSEKODE": "diagnosekode",
    },
    "virksomheter": {
        "ORGNR": "organisasjonsnummer",
        "NAVN": "virksomhetsnavn",
        "NAERINGSKODE": "naeringskode",
        "KOMMUNENR": "kommunenummer",
        "ANTALL_ANSATTE": "antall_ansatte",
    },
}
HISTORY = {"sykmeldinger": "hist_sykmelding__sykmeldinger", "virksomheter": "hist_enhetsregisteret__virksomheter"}
KEY = {"sykmeldinger": "sykmelding_id", "virksomheter": "organisasjonsnummer"}
# what decides that a row changed: the source's last-changed time, or every column
COMPARE: dict[str, tuple[str, ...] | None] = {"sykmeldinger": ("endret_tidspunkt",), "virksomheter": None}

ARBEIDSFORHOLD = (
    "ARBFORHOLD_ID,FNR,ORGNR,FOM_DATO,TOM_DATO,STILLINGSPST,ENDRET_TID\n"
    "AF000000001,01019012345,900000001,2020-01-01,,100.0,2024-12-01 08:00:00\n"
)
VIRKSOMHETER = "ORGNR,NAVN,NAERINGSKODE,KOMMUNENR\n900000001,Virksomhet 1 AS,86.211,0301\n"
SM_HEADER = "SYKMELDING_ID,FNR,ORGNR,FOM_DATO,TOM_DATO,SYKM_GRAD,DIAGNOSEGRUPPE,ENDRET_TID"
SYKMELDINGER = SM_HEADER + "\nSM0,01019012345,900000001,2024-03-01,2024-03-14,100,L,2025-01-01 10:00:00\n"


def sm(key: str, grade: str = "100", changed: str = "2025-01-01 10:00:00", diagnosis: str = "L") -> str:
    """One sick-leave certificate line in the source's format."""
    return f"{key},01019012345,900000001,2024-03-01,2024-03-14,{grade},{diagnosis},{changed}"


def write_batches(folder: Path, batches: list[dict[str, str]]) -> list[Path]:
    """Write batch_000, batch_001, ...: each a dict table -> CSV text; missing tables get a constant extract."""
    paths = []
    for number, tables in enumerate(batches):
        path = folder / f"batch_{number:03d}"
        path.mkdir(parents=True, exist_ok=True)
        files = {"arbeidsforhold": ARBEIDSFORHOLD, "virksomheter": VIRKSOMHETER, "sykmeldinger": SYKMELDINGER, **tables}
        for name, text in files.items():
            (path / f"{name}.csv").write_text(text.strip() + "\n", encoding="utf-8")
        paths.append(path)
    return paths


# hand-written batches of a few keys delete far more than the 10 % of keys a delivery may delete unconfirmed
ALLOW_DELETIONS = tuple(arg for name in HISTORY.values() for arg in ("--allow-deletions", name))


def load(project: Path, target: str, env: dict[str, str], folders: list[Path], check: bool = True) -> Any:
    """`dataprodukt load --batch ...`: the main job's replay (load, then one history run per batch)."""
    args = [arg for folder in folders for arg in ("--batch", str(folder))]
    return run_cli(project, "load", *args, *ALLOW_DELETIONS, "--target", target, env=env, check=check)


# ---- the independent model ----------------------------------------------------------------------------------
@dataclass
class Version:
    key: str
    values: dict[str, str | None]
    start: int
    end: int | None = None
    deleted: bool = False


def read_batch(folder: Path, table: str) -> list[dict[str, str | None]]:
    with (folder / f"{table}.csv").open(newline="", encoding="utf-8") as handle:
        return [
            {STAGED[table][name.upper()]: (value if value != "" else None) for name, value in row.items()}
            for row in csv.DictReader(handle)
        ]


def expected_history(folders: list[Path], table: str) -> tuple[list[Version], list[int]]:
    """SCD2 versions for ``table`` after replaying ``folders``, and the batches that changed anything."""
    key, compare = KEY[table], COMPARE[table]
    versions: list[Version] = []
    current: dict[str, Version] = {}
    changed_in: list[int] = []
    known: set[str] = set()
    for number, folder in enumerate(folders):
        rows = {str(row[key]): row for row in read_batch(folder, table)}
        columns = set(next(iter(rows.values()))) if rows else set()
        # a column the history never had: dbt's check-all strategy treats every row as changed once
        column_added = number > 0 and compare is None and bool(columns - known)
        known |= columns
        changed = False
        for name, row in rows.items():
            before = current.get(name)
            if before is not None and not before.deleted:
                cols = compare or sorted(columns & set(before.values))
                if not column_added and all(before.values.get(col) == row.get(col) for col in cols):
                    continue
            if before is not None:
                before.end = number
            current[name] = Version(name, dict(row), number)
            versions.append(current[name])
            changed = True
        for name, before in list(current.items()):
            if name not in rows and not before.deleted:
                before.end = number
                current[name] = Version(name, dict(before.values), number, deleted=True)
                versions.append(current[name])
                changed = True
        if changed:
            changed_in.append(number)
    return versions, changed_in


# ---- the real history ---------------------------------------------------------------------------------------
def query(project: Path, target: str, env: dict[str, str], sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    if target == "duckdb":
        import duckdb

        connection = duckdb.connect(str(project / "build" / "sykefravaer.duckdb"), read_only=True)
        try:
            cursor = connection.execute(sql)
            names = [column[0] for column in cursor.description]
            return names, list(cursor.fetchall())
        finally:
            connection.close()
    connection = postgres.connect(env)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            names = [column[0] for column in cursor.description]
            return names, list(cursor.fetchall())
    finally:
        connection.close()


def text(value: Any) -> str | None:
    """One spelling for a value on both engines and in the CSV files."""
    if value is None:
        return None
    if isinstance(value, Decimal | float):
        return f"{Decimal(str(value)).normalize():f}"
    return str(value)


def actual_history(
    project: Path, target: str, env: dict[str, str], table: str, changed_in: list[int]
) -> list[tuple[Any, ...]]:
    """The history's rows as (key, start batch, end batch, deleted, values), times mapped to batches."""
    names, rows = query(project, target, env, f"select * from historikk.{HISTORY[table]}")
    meta = {"gyldig_fra", "gyldig_til", "historikk_id", "oppdatert_tidspunkt", "er_slettet"}
    times = sorted({row[names.index("gyldig_fra")] for row in rows})
    assert len(times) == len(changed_in), (
        f"{HISTORY[table]}: {len(times)} history runs changed something, expected {len(changed_in)} "
        f"(batches {changed_in})"
    )
    batch_of = dict(zip(times, changed_in, strict=True))
    result = []
    for row in rows:
        record = dict(zip(names, row, strict=True))
        end = record["gyldig_til"]
        result.append(
            (
                record[KEY[table]],
                batch_of[record["gyldig_fra"]],
                None if end.year == 9999 else batch_of[end],
                record["er_slettet"] == "True",
                tuple(sorted((name, text(value)) for name, value in record.items() if name not in meta)),
            )
        )
    return sorted(result, key=repr)


def as_rows(versions: list[Version], columns: list[str]) -> list[tuple[Any, ...]]:
    """Expected versions in actual_history's shape, over the history's columns (absent -> NULL)."""
    return sorted(
        (
            (
                version.key,
                version.start,
                version.end,
                version.deleted,
                tuple(sorted((name, text(version.values.get(name))) for name in columns)),
            )
            for version in versions
        ),
        key=repr,
    )


def history_columns(project: Path, target: str, env: dict[str, str], table: str) -> list[str]:
    names, _ = query(project, target, env, f"select * from historikk.{HISTORY[table]} where 1 = 0")
    return [
        name
        for name in names
        if name not in {"gyldig_fra", "gyldig_til", "historikk_id", "oppdatert_tidspunkt", "er_slettet"}
    ]


def assert_history(project: Path, target: str, env: dict[str, str], folders: list[Path], table: str) -> None:
    versions, changed_in = expected_history(folders, table)
    actual = actual_history(project, target, env, table, changed_in)
    expected = as_rows(versions, history_columns(project, target, env, table))
    # multisets: a duplicated row counts as a difference
    missing = list((Counter(expected) - Counter(actual)).elements())
    extra = list((Counter(actual) - Counter(expected)).elements())
    assert not missing and not extra, f"{HISTORY[table]}:\n missing {missing[:20]}\n unexpected {extra[:20]}"
