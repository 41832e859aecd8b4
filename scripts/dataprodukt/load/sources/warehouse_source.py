"""A table already in the warehouse (``kind: warehouse``), e.g. a BigQuery dataset another team fills: read where
it lives, never copied.

The dbt source points at the table (its ``database`` and ``schema``); the staging model and the history read it
there. The loader only checks it before the build (it exists, with the declared columns) and records a delivery in
the load log: once per value of its ``delivered_at`` SQL when the YAML gives one (``max(lastet_tid)``), else once
per run, with the table's row count.
"""

from __future__ import annotations

from datetime import UTC, datetime

from dataprodukt.core.provenance import now
from dataprodukt.load.sources.source_table import Delivery, Found, Intake, SourceTable, time_name


def deliveries(intake: Intake, tables: list[SourceTable]) -> Found:
    found = Found()
    for table in tables:
        origin = f"warehouse:{table.source}.{table.name}"
        found.counts[origin] = 1
        problems = _problems(intake, table)
        if problems:
            found.problems += problems
            continue
        relation = _relation(intake, table)
        expression = table.setting("delivered_at")
        delivered_at = None
        if expression:
            value = intake.warehouse.query(f"select {expression} from {relation}")[0][0]
            delivered_at = _utc(value) if value is not None else None
        name = time_name(delivered_at or now())
        if (origin, name) in intake.done:
            continue
        count = int(intake.warehouse.query(f"select count(*) from {relation}")[0][0])
        found.pending.append(
            Delivery(origin, name, [table], {}, f"rows:{count}", delivered_at, row_counts={table.identifier: count})
        )
    return found


def _relation(intake: Intake, table: SourceTable) -> str:
    parts = [part for part in (table.database, table.schema, table.identifier) if part]
    return intake.warehouse.quote(*parts)


def _problems(intake: Intake, table: SourceTable) -> list[str]:
    held = intake.warehouse.relation_columns(table.schema, table.identifier, table.database)
    where = ".".join(part for part in (table.database, table.schema, table.identifier) if part)
    if not held:
        return [
            f"source {table.label} ({table.yaml_path}): no table {where} in the warehouse: fix the source's "
            "database/schema/identifier, or ask its owner for read access"
        ]
    names = [name.upper() for name, _kind in held]
    problems = [
        f"source {table.label}: {where} has no column {column}; {table.yaml_path} declares it: fix the YAML"
        for column in table.columns
        if column not in names
    ]
    problems += [
        f"source {table.label}: {where} has column {column}, which {table.yaml_path} doesn't declare: declare it "
        "(and stage it)"
        for column in names
        if column not in table.columns
    ]
    return problems


def _utc(value: object) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
