"""Before anything is published over an existing version: is the published version intact, and would today's data
be different?

- **Intact**: the published relation and files are as the register recorded them (the relation's row hash sum,
  the files' sha256); a missing or altered one stops the publication, naming it and its recorded checksum.
- **Candidate**: the version's compiled SQL runs on today's data into a scratch relation
  (``<schema>__kandidat.<relation>``), reading the candidates of published models upstream that changed, so a
  correction upstream shows in every published version it reaches.
- **Diff**: the candidate is compared with the published relation (core/warehouse/compare.py), by the grain the
  model declares in ``meta.grain``, by whole rows otherwise. The report (counts, columns, first examples) is kept
  beside the publication as ``publisering/<state>/<stem>__diff.json``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from dataprodukt.core.errors import UserError
from dataprodukt.core.storage import Storage
from dataprodukt.core.warehouse import Warehouse
from dataprodukt.core.warehouse.compare import TableDiff, compare_tables
from dataprodukt.publish import files
from dataprodukt.publish.register import Record
from dataprodukt.rules.identity import Dataset, node_meta

SCRATCH_SUFFIX = "__kandidat"


def grain(dataset: Dataset) -> list[str]:
    """The columns one row is unique by (``meta.grain``), or empty when the model declares none."""
    declared = node_meta(dataset.node).get("grain")
    if isinstance(declared, str):
        declared = [part.strip() for part in declared.split(",")]
    return [str(column) for column in declared or [] if str(column).strip()]


def file_checksum(storage: Storage, dataset: Dataset) -> str:
    """The stored data file's (or partition files') checksum, as ``files.files_checksum`` computes it."""
    path = dataset.storage_path
    if not dataset.partition_by:
        return files.files_checksum(path, {path: storage.read_bytes(path)})
    stored = {path / folder / "data.parquet": b"" for folder in storage.listdir(path)}
    return files.files_checksum(path, {file: storage.read_bytes(file) for file in stored})


def check_files(storage: Storage, dataset: Dataset, record: Record) -> None:
    """The published file (or partitions) exists and has the bytes the register recorded."""
    where = storage.uri(dataset.storage_path)
    if not storage.exists(dataset.storage_path):
        raise UserError(
            f"the published file {where} of {record.dataset} is missing (recorded sha256 "
            f"{record.file_checksum or 'not recorded'}, {record.row_count} rows): restore it from a backup; a "
            "published version is never written again, so nothing more is published until it is back"
        )
    if record.file_checksum and file_checksum(storage, dataset) != record.file_checksum:
        raise UserError(
            f"the published file {where} of {record.dataset} was altered outside dataprodukt: its sha256 differs "
            f"from the recorded {record.file_checksum}: restore it from a backup; nothing more is published until "
            "it is as published"
        )


def check_relation(warehouse: Warehouse, dataset: Dataset, record: Record, checksum: str | None) -> None:
    """The published relation has the rows the register recorded (``checksum`` from the diff's first pass)."""
    schema, name = dataset.relation[1:]
    if not record.relation_checksum:
        return
    recorded_engine = record.relation_checksum.split(":", 1)[0]
    if checksum is None or recorded_engine != warehouse.hash_version():
        # another engine release hashes differently: compare the order-independent content checksum instead
        if files.read_relation(warehouse, schema, name).checksum == record.content_checksum:
            return
    elif checksum == record.relation_checksum:
        return
    raise UserError(
        f"the published relation {schema}.{name} of {record.dataset} was altered outside dataprodukt: its rows "
        f"differ from the recorded checksum {record.relation_checksum} (content {record.content_checksum}): "
        f"restore it from its file {record.file_path}; nothing more is published until it is as published"
    )


def require_relation(warehouse: Warehouse, dataset: Dataset, record: Record) -> None:
    schema, name = dataset.relation[1:]
    if not warehouse.relation_columns(schema, name):
        raise UserError(
            f"the published relation {schema}.{name} of {record.dataset} is missing (recorded checksum "
            f"{record.relation_checksum or record.content_checksum}, {record.row_count} rows): restore it from its "
            f"file {record.file_path}; a published version is never rebuilt"
        )


@dataclass
class Candidate:
    """A version's SQL run on today's data, and how it differs from what was published."""

    dataset: Dataset
    relation: tuple[str, str]
    diff: TableDiff


def build_candidate(warehouse: Warehouse, dataset: Dataset, upstream: dict[str, tuple[str, str]]) -> tuple[str, str]:
    """Run the version's compiled SQL into ``<schema>__kandidat.<relation>``; published relations upstream
    that have a candidate (``relation_name -> (schema, name)``) are read from it instead."""
    sql = str(dataset.node.get("compiled_code") or "").strip().rstrip(";")
    if not sql:
        raise UserError(
            f"{dataset.stem}: the manifest has no compiled SQL for model {dataset.model} v{dataset.version}: run "
            "`dataprodukt run` (or dbt build) first"
        )
    for relation_name, (schema, name) in upstream.items():
        sql = sql.replace(relation_name, warehouse.quote(schema, name))
    schema, name = dataset.relation[1:]
    scratch = (schema + SCRATCH_SUFFIX, name)
    # the published relation's columns and types (a contract's, as dbt built it), then today's rows into them
    columns = ", ".join(warehouse.quote(column) for column, _kind in warehouse.relation_columns(schema, name))
    warehouse.create_table_as(*scratch, f"select * from {warehouse.quote(schema, name)} where 1 = 0")
    try:
        warehouse.execute(
            f"insert into {warehouse.quote(*scratch)} ({columns}) select {columns} from ({sql}) as candidate"
        )
    except Exception:  # other columns than published: as the query gives them, so the diff shows how they differ
        warehouse.create_table_as(*scratch, sql)
    return scratch


def compare(warehouse: Warehouse, dataset: Dataset, candidate: tuple[str, str]) -> TableDiff:
    return compare_tables(warehouse, dataset.relation[1:], candidate, grain(dataset))


def report(diff: TableDiff, published: str, against: str, key_declared: bool) -> dict[str, Any]:
    """The diff as kept in storage: what was compared, how, and what differs."""
    return {
        "published": published,
        "compared_with": against,
        "identical": diff.identical,
        "compared_by": f"key ({', '.join(diff.key)})" if diff.key else "whole rows",
        "note": ""
        if diff.key
        else (
            "the model declares a grain (meta.grain) but a key column is missing: compared by whole rows"
            if key_declared
            else "the model declares no grain (meta.grain): compared by whole rows, so a changed row counts as one "
            "removed and one added"
        ),
        "rows": {"published": diff.published_rows, "candidate": diff.candidate_rows},
        "added": diff.added,
        "removed": diff.removed,
        "changed": diff.changed,
        "changed_columns": diff.changed_columns,
        "schema": {
            "added": [list(column) for column in diff.added_columns],
            "removed": [list(column) for column in diff.removed_columns],
            "type_changed": [list(change) for change in diff.type_changes],
        },
        "examples": diff.examples,
        "examples_shown": {kind: len(rows) for kind, rows in diff.examples.items()},
    }


def report_bytes(content: dict[str, Any]) -> bytes:
    return (json.dumps(content, indent=2, ensure_ascii=False, sort_keys=False) + "\n").encode("utf-8")


def summary(diff: TableDiff) -> str:
    """The diff in one line (English, for the run's output)."""
    if diff.identical:
        return "identical"
    parts = []
    if diff.changed:
        columns = ", ".join(f"{name} {count}" for name, count in sorted(diff.changed_columns.items()))
        parts.append(f"{diff.changed} row(s) changed ({columns})")
    if diff.added:
        parts.append(f"{diff.added} row(s) added")
    if diff.removed:
        parts.append(f"{diff.removed} row(s) removed")
    if diff.added_columns:
        parts.append("column(s) added: " + ", ".join(name for name, _ in diff.added_columns))
    if diff.removed_columns:
        parts.append("column(s) removed: " + ", ".join(name for name, _ in diff.removed_columns))
    if diff.type_changes:
        parts.append("type(s) changed: " + ", ".join(f"{n} {a} -> {b}" for n, a, b in diff.type_changes))
    how = f"by {', '.join(diff.key)}" if diff.key else "by whole rows (no grain declared)"
    return "; ".join(parts) + f" ({how})"


def change_note(diff: TableDiff, previous_version: int) -> str:
    """The Datadoc version_description of a correction, from the diff (bokmål)."""
    parts = []
    if diff.changed:
        columns = ", ".join(sorted(diff.changed_columns, key=lambda name: (-diff.changed_columns[name], name)))
        parts.append(f"{diff.changed} {_rader(diff.changed)} endret i {columns}")
    if diff.added:
        parts.append(f"{diff.added} {_rader(diff.added)} lagt til")
    if diff.removed:
        parts.append(f"{diff.removed} {_rader(diff.removed)} fjernet")
    how = "" if diff.key else ", hele rader sammenlignet"
    return f"Korrigert: {'; '.join(parts) or 'samme data'} (sammenlignet med v{previous_version}{how})."


def _rader(count: int) -> str:
    return "rad" if count == 1 else "rader"
