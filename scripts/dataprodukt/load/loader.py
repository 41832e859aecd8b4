"""Load raw extracts into the target's raw schema, checked first and written all or nothing.

Each batch folder holds one CSV per source table. Before anything is written, every file's header is
compared with the columns the dbt sources declare. A load log in the warehouse remembers which batch
was loaded with which content, so a re-run never replays a batch into history twice.
"""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass
from difflib import get_close_matches
from pathlib import Path
from typing import Any

from dataprodukt.core.errors import UserError
from dataprodukt.core.provenance import now
from dataprodukt.core.warehouse import Table, Warehouse

RAW_SCHEMA = "raw"
# one row per batch recorded in history: its content fingerprint, so a batch is never replayed with other content
LOAD_LOG = Table(
    RAW_SCHEMA,
    "lastelogg",
    (("batch", "text"), ("fingerprint", "text"), ("row_counts", "text"), ("loaded_at", "text")),
    key=("batch",),
)
# the batch now in the raw tables, so a history run that refuses it can name it (macro history_guard_batch)
CURRENT_BATCH = Table(RAW_SCHEMA, "siste_innlasting", (("batch", "text"), ("lastet", "text")))


@dataclass(frozen=True)
class RawTable:
    """A source table the project declares in the raw schema, with its declared columns."""

    source: str
    name: str
    columns: tuple[str, ...]
    yaml_path: str


def declared_raw_tables(sources: dict[str, dict[str, Any]]) -> dict[str, RawTable]:
    """The source tables in the raw schema, from the parsed manifest's sources (the YAML is the contract)."""
    tables = {}
    for source in sources.values():
        if str(source.get("schema", "")).lower() != RAW_SCHEMA:
            continue
        columns = tuple(str(name).upper() for name in source.get("columns", {}))
        tables[source["name"]] = RawTable(source["source_name"], source["name"], columns, source["original_file_path"])
    return tables


def read_header(path: Path) -> list[str]:
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            return [column.strip().upper() for column in next(csv.reader(handle), [])]
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(f"{path}: can't be read as UTF-8 CSV ({error})") from error


def check_batch(folder: Path, tables: dict[str, RawTable]) -> tuple[dict[str, tuple[Path, list[str]]], list[str]]:
    """Match each declared table to its file in ``folder``; return the files and every problem found."""
    files: dict[str, tuple[Path, list[str]]] = {}
    problems: list[str] = []
    for name, table in sorted(tables.items()):
        path = folder / f"{name}.csv"
        if not path.is_file():
            problems.append(f"{path}: file missing for source table {table.source}.{name} ({table.yaml_path})")
            continue
        header = read_header(path)
        if not header:
            problems.append(f"{path}: empty file, expected a header with {', '.join(table.columns)}")
            continue
        unexpected = [column for column in header if column not in table.columns]
        for column in table.columns:
            if column not in header:
                guess = get_close_matches(column, unexpected, n=1)
                hint = f" (found {guess[0]!r}: a misspelt column?)" if guess else ""
                problems.append(
                    f"{path}: column {column} is missing{hint}; {table.yaml_path} declares it for "
                    f"{table.source}.{name}: fix the file or the source YAML"
                )
        if len(set(header)) != len(header):
            problems.append(f"{path}: a column name appears twice in the header")
        files[name] = (path, header)
    return files, problems


def fingerprint(files: dict[str, tuple[Path, list[str]]]) -> str:
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode())
        digest.update(files[name][0].read_bytes())
    return digest.hexdigest()


def loaded_batches(warehouse: Warehouse) -> dict[str, str]:
    """batch name -> content fingerprint, for the batches already loaded into this warehouse."""
    return {str(row["batch"]): str(row["fingerprint"]) for row in warehouse.select(LOAD_LOG)}


@dataclass(frozen=True)
class Batch:
    """A checked batch folder, ready to load."""

    name: str
    folder: Path
    files: dict[str, tuple[Path, list[str]]]
    digest: str


def prepare_batch(folder: Path, tables: dict[str, RawTable], done: dict[str, str]) -> Batch | None:
    """Check a batch folder; None when this exact batch is already in history. Raises on any problem."""
    files, problems = check_batch(folder, tables)
    if problems:
        raise UserError(f"{len(problems)} problem(s) in {folder}, nothing loaded:\n  " + "\n  ".join(problems))
    digest = fingerprint(files)
    if folder.name in done:
        if done[folder.name] != digest:
            raise UserError(
                f"{folder} differs from the {folder.name} already loaded into history on this target: "
                "history is never rewritten. Keep the original files, or start a new warehouse "
                "(`dataprodukt clean`) to load new ones"
            )
        return None
    return Batch(folder.name, folder, files, digest)


def prepare_batches(folders: list[Path], tables: dict[str, RawTable], done: dict[str, str]) -> list[Batch]:
    """Check every folder before loading any, so every bad file is reported before history moves."""
    pending: list[Batch] = []
    problems: list[str] = []
    for folder in folders:
        try:
            batch = prepare_batch(folder, tables, done)
        except UserError as error:
            problems.append(str(error))
            continue
        if batch is not None:
            pending.append(batch)
    if problems:
        raise UserError("\n".join(problems))
    return pending


def load(warehouse: Warehouse, batch: Batch) -> dict[str, int]:
    """Replace the raw tables with the batch's files, all or nothing, and note which batch is now in them."""
    rows = warehouse.replace_tables(RAW_SCHEMA, dict(batch.files.items()))
    stamp = now().isoformat(timespec="microseconds")
    warehouse.replace_rows(CURRENT_BATCH, [{"batch": batch.name, "lastet": stamp}])
    return rows


def record(warehouse: Warehouse, batch: Batch, rows: dict[str, int]) -> None:
    """Log the batch as loaded. Called only after its history run succeeded, so a crash in between replays it."""
    row = {
        "batch": batch.name,
        "fingerprint": batch.digest,
        "row_counts": json.dumps(rows, sort_keys=True),
        "loaded_at": now().isoformat(timespec="seconds"),
    }
    warehouse.insert(LOAD_LOG, [row])
