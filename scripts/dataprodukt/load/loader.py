"""Load deliveries into the raw schema, checked first and written all or nothing, and log each one.

The sources say where their extracts come from (``meta.loader`` in the source YAML; load/sources/). Before anything
is written, every pending delivery of every source is checked against the columns its YAML declares. A load log in
the warehouse remembers which delivery was loaded with which content and the delivery time history recorded it at
(load/deliveries.py), so a re-run never replays a delivery into history twice, nor one older than history holds.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from dataprodukt.core.errors import UserError
from dataprodukt.core.provenance import now
from dataprodukt.core.warehouse import Table, Warehouse
from dataprodukt.load import deliveries
from dataprodukt.load.sources.source_table import Delivery

RAW_SCHEMA = "raw"
# One row per delivery recorded in history: where it came from (origin: a source folder as its YAML writes it,
# postgres:<source>, warehouse:<source>.<table>), its name, its content's fingerprint (a delivery is never replayed
# with other content), its rows per table, when it was loaded and its delivery time, the gyldig_fra history gave it.
LOAD_LOG = Table(
    RAW_SCHEMA,
    "lastelogg",
    (
        ("batch", "text"),
        ("fingerprint", "text"),
        ("row_counts", "text"),
        ("loaded_at", "text"),
        ("origin", "text"),
        ("delivered_at", "text"),
    ),
    key=("origin", "batch"),
)
# the delivery now in the raw tables, so a history run that refuses it can name it (macro history_guard_batch), and
# its delivery time, so a load that stopped part-way through its history runs is found (load/replay.py)
CURRENT_BATCH = Table(RAW_SCHEMA, "siste_innlasting", (("batch", "text"), ("lastet", "text"), ("levert", "text")))


def read_header(path: Path) -> list[str]:
    """A UTF-8, comma-separated CSV file's header, upper case."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            return [column.strip().upper() for column in next(csv.reader(handle), [])]
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(f"{path}: can't be read as UTF-8 CSV ({error})") from error


def loaded(warehouse: Warehouse) -> dict[tuple[str, str], str]:
    """(origin, delivery) -> content fingerprint, for the deliveries already loaded into this warehouse."""
    if warehouse.relation_columns(LOAD_LOG.schema, LOAD_LOG.name):
        warehouse.ensure_table(LOAD_LOG)  # a log from before origin/delivered_at gets the columns
    return {
        (str(row["origin"] or ""), str(row["batch"])): str(row["fingerprint"]) for row in warehouse.select(LOAD_LOG)
    }


def load(warehouse: Warehouse, delivery: Delivery, delivered_at: str | None = None) -> dict[str, int]:
    """Replace the raw tables with the delivery's files (bulk, all or nothing per schema), and note which delivery
    is now in them, with its delivery time. A table read where it lives is not touched."""
    if not delivery.files:
        return dict(delivery.row_counts)
    rows: dict[str, int] = {}
    for schema, files in sorted(delivery.schemas.items()):
        rows.update(warehouse.replace_tables(schema, files))
    stamp = now().isoformat(timespec="microseconds")
    warehouse.replace_rows(CURRENT_BATCH, [{"batch": delivery.name, "lastet": stamp, "levert": delivered_at}])
    return rows


def log_row(origin: str, name: str, fingerprint: str, rows: dict[str, int], delivered_at: str) -> dict[str, str]:
    """The load log's row for a delivery recorded in history with delivery time ``delivered_at``."""
    return {
        "batch": name,
        "fingerprint": fingerprint,
        "row_counts": json.dumps(rows, sort_keys=True),
        "loaded_at": now().isoformat(timespec="seconds"),
        "origin": origin,
        "delivered_at": delivered_at,
    }


def record(warehouse: Warehouse, delivery: Delivery, rows: dict[str, int], delivered_at: str | None = None) -> None:
    """Log the delivery as loaded, at ``delivered_at`` (default: its own time). Called only after its history runs
    succeeded, so a crash in between replays it."""
    if delivered_at is None:
        delivered_at = deliveries.text(deliveries.utc(delivery.delivered_at or now()))
    row = log_row(delivery.origin, delivery.name, delivery.fingerprint, rows, delivered_at)
    warehouse.insert(LOAD_LOG, [row])
