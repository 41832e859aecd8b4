"""What `dataprodukt add-source` writes for a source table, planned from its data: how a CSV is read (encoding and
delimiter, when not given), the dates a column holds and in which format, the history's key and change columns, the
source YAML entry (with ``meta.loader``) and the history's snapshot YAML. Pure functions over the data read; the verb
(commands/add_source.py) reads the source and writes the files."""

from __future__ import annotations

import codecs
import csv
import dataclasses
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from dataprodukt.load.sources.extract_check import DELIMITERS
from dataprodukt.load.staging_model import (
    GROUPS,
    PLACEHOLDER,
    SOURCE_PLACEHOLDER,
    TABLE_PLACEHOLDER,
    Column,
    model_name,
)

# non-ISO date and time formats a register writes, tried in order (ISO is cast directly, see staging_model)
DATE_FORMATS = ("%d.%m.%Y", "%d/%m/%Y", "%d-%m-%Y")
TIMESTAMP_FORMATS = ("%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d/%m/%Y %H:%M:%S")
# a column that says when the source last changed the row decides whether a row changed (docs/history.md)
CHANGED = re.compile(r"(endret|oppdatert|sist_endret|changed|updated|modified)", re.IGNORECASE)
HISTORY_PLACEHOLDER = "TODO: beskriv historikken (én rad per nøkkel og versjon)"
# the columns every history adds (their names are set once, in dbt_project.yml's snapshot_meta_column_names)
HISTORY_COLUMNS = ("gyldig_fra", "gyldig_til", "historikk_id", "oppdatert_tidspunkt", "er_slettet")


def sniff_encoding(path: Path) -> str:
    """utf-8 when every byte reads as UTF-8; else cp1252 when it uses the bytes only Windows-1252 fills, else
    latin-1 (ISO-8859-1), the two encodings Norwegian registers deliver in."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    windows = False
    utf8 = True
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            windows = windows or any(0x80 <= byte <= 0x9F for byte in chunk)
            if utf8:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    utf8 = False
    if utf8:
        return "utf-8"
    return "cp1252" if windows else "latin-1"


def sniff_delimiter(path: Path, encoding: str) -> str:
    """The delimiter that splits the header line into the most columns (of , ; TAB |)."""
    with path.open(encoding=encoding, newline="") as handle:
        line = handle.readline()
    counts = {delimiter: len(next(csv.reader([line], delimiter=delimiter), [])) for delimiter in DELIMITERS}
    best = max(DELIMITERS, key=lambda delimiter: counts[delimiter])
    return best if counts[best] > 1 else ","


def datetime_format(values: Sequence[str]) -> tuple[str, str] | None:
    """(date or timestamp, format) when every value is a date or time in one of the register formats."""
    present = [value.strip() for value in values if value.strip()]
    if not present:
        return None
    for kind, formats in (("date", DATE_FORMATS), ("timestamp", TIMESTAMP_FORMATS)):
        for form in formats:
            if all(_parses(value, form) for value in present):
                return kind, form
    return None


def _parses(value: str, form: str) -> bool:
    try:
        datetime.strptime(value, form)
    except ValueError:
        return False
    return True


def with_formats(columns: list[Column], samples: Mapping[str, Sequence[str]]) -> tuple[list[Column], dict[str, str]]:
    """Columns left as text whose values are dates in a register format become parsed dates (parse_date); returns
    the columns in banner order and raw column -> format for the source YAML."""
    formats: dict[str, str] = {}
    planned = []
    for column in columns:
        found = datetime_format(samples.get(column.raw, [])) if column.kind == "text" else None
        if found is not None and column.group != "ids":
            kind, form = found
            formats[column.raw] = form
            column = dataclasses.replace(column, kind=kind, group="dates", format=form)
        planned.append(column)
    return sorted(planned, key=lambda column: GROUPS.index(column.group)), formats


def guess_key(columns: list[Column], unique: Mapping[str, bool]) -> str | None:
    """The history's key: the first column (ids first, then in the source's order) whose values are all present
    and unique in the extract."""
    ordered = [column for column in columns if column.group == "ids"]
    ordered += [column for column in columns if column.group != "ids"]
    return next((column.name for column in ordered if unique.get(column.raw)), None)


def change_columns(columns: list[Column]) -> list[str] | str:
    """The column that says when the source last changed a row, or every column (``all``)."""
    changed = [column.name for column in columns if column.kind == "timestamp" and CHANGED.search(column.name)]
    return changed[:1] or "all"


def source_yaml(
    source: str, settings: dict[str, Any], table: str, raw_columns: Sequence[str], formats: dict[str, str]
) -> dict[str, Any]:
    """The source's entry (for a new sources file): where it lives and how the loader reads it, and the table."""
    location = {key: settings.pop(key) for key in ("database", "schema") if key in settings}
    return {
        "name": source,
        "description": SOURCE_PLACEHOLDER,
        **(location or {"schema": "raw"}),
        "meta": {"loader": settings},
        "tables": [table_yaml(table, raw_columns, formats)],
    }


def table_yaml(
    table: str, raw_columns: Sequence[str], formats: dict[str, str], loader: dict[str, Any] | None = None
) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": table, "description": TABLE_PLACEHOLDER}
    if loader:
        entry["meta"] = {"loader": loader}
    entry["columns"] = [
        {"name": name, "description": PLACEHOLDER, **({"meta": {"format": formats[name]}} if name in formats else {})}
        for name in raw_columns
    ]
    return entry


def snapshot_yaml(
    source: str, table: str, columns: list[Column], key: str, docs: set[str], deleted_when: str | None = None
) -> dict[str, Any]:
    """The history of the staged table, as the example's: key, what counts as a change, the integrity tests."""
    staged = model_name(source, table)
    config: dict[str, Any] = {"unique_key": key, "strategy": "check", "check_cols": change_columns(columns)}
    config["cluster_by"] = ["gyldig_til", key]
    if deleted_when:
        config["meta"] = {"history_source": "changes", "deleted_when": deleted_when}
    deletions: dict[str, Any] = {"key": key, "source": f"ref('{staged}')"}
    if deleted_when:
        deletions["deleted_when"] = deleted_when
    tests: list[Any] = [
        {"history_versions_valid": {"arguments": {"key": key}}},
        {"history_deletions_recorded": {"arguments": deletions}},
        "history_row_count_never_decreases",
    ]

    def described(name: str) -> dict[str, str]:
        text = f"{{{{ doc('{name}') }}}}" if name in docs else PLACEHOLDER
        return {"name": name, "description": text}

    return {
        "version": 2,
        "snapshots": [
            {
                "name": f"hist_{source}__{table}",
                "relation": f"ref('{staged}')",
                "description": HISTORY_PLACEHOLDER,
                "config": config,
                "data_tests": tests,
                "columns": [described(column.name) for column in columns] + [described(n) for n in HISTORY_COLUMNS],
            }
        ],
    }
