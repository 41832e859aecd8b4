"""Raw batches into history: each batch not yet recorded is loaded into the raw schema and recorded with a
snapshot run, in order. The load log (``raw.lastelogg``) is written only after the batch's history run
succeeded, so a crash in between replays the batch; an exact replay of a recorded batch adds nothing."""

from __future__ import annotations

from pathlib import Path

from dataprodukt.core.context import RunContext
from dataprodukt.core.errors import UserError
from dataprodukt.load import loader


def replay(context: RunContext, folders: list[Path]) -> int:
    """Load each batch not yet in history and record it with a snapshot run; return how many were loaded."""
    progress = context.progress
    tables = loader.declared_raw_tables(context.session.parsed_sources())
    if not tables:
        raise UserError(
            f"no source tables with schema '{loader.RAW_SCHEMA}' are declared under models/: nothing to load"
        )
    pending = loader.prepare_batches(folders, tables, loader.loaded_batches(context.warehouse))
    if not pending:
        progress.step("history already holds every batch: nothing to load")
        return 0
    staging_ready = False
    for batch in pending:
        with progress.timer("load"):
            rows = loader.load(context.warehouse, batch)
        counts = ", ".join(f"{name} {count}" for name, count in sorted(rows.items()))
        progress.step(f"loaded {batch.name} into {loader.RAW_SCHEMA}: {counts}")
        if not staging_ready:
            with progress.timer("dbt"):
                context.invoke(["run", "--select", "path:models/staging"])
            staging_ready = True
        progress.step(f"recording {batch.name} in history (dbt snapshot)")
        with progress.timer("dbt"):
            context.invoke(["snapshot"])
        loader.record(context.warehouse, batch, rows)
    return len(pending)
