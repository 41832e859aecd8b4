"""Sources where they live, one module per kind: a folder of extracts (CSV or parquet), a PostgreSQL table or
query, a table already in the warehouse. Each has ``deliveries(intake, tables) -> Found`` (source_table.py)."""

from __future__ import annotations

from collections.abc import Callable

from dataprodukt.load.sources import folder_source, postgres_source, warehouse_source
from dataprodukt.load.sources.source_table import Found, Intake, SourceTable

KINDS: dict[str, Callable[[Intake, list[SourceTable]], Found]] = {
    "files": folder_source.deliveries,
    "postgres": postgres_source.deliveries,
    "warehouse": warehouse_source.deliveries,
}


def find(intake: Intake, tables: list[SourceTable]) -> Found:
    """Every kind's deliveries not yet logged, and every problem found in any of them."""
    found = Found()
    for kind, deliveries in KINDS.items():
        members = [table for table in tables if table.kind == kind]
        if not members:
            continue
        part = deliveries(intake, members)
        found.pending += part.pending
        found.problems += part.problems
        found.counts.update(part.counts)
    return found
