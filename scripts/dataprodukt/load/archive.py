"""``dataprodukt load --from ARCHIVE``: years of dated extracts recorded in history as they were known, in one pass.

An archive is a folder of deliveries, one subfolder each, every one dated (folder name or ``delivery.json``;
load/deliveries.py). They are recorded oldest first. The first is recorded as any delivery (one history run, which
also makes a history that doesn't exist yet); every later one is loaded into raw, checked in every history (keys,
mass deletions, against the delivery before it), and its staged rows are kept beside each history
(``<history>__arkiv``) with its time. Then one history run (var ``historikk_arkiv``, macro
history_archive_staging_table) finds every version of every delivery at once, instead of one comparison of the
whole extract per delivery, and writes the same rows the one-by-one runs would.

A load that is killed resumes where it stopped: the deliveries already kept are listed in ``raw.arkivlogg`` and
not loaded again, and the one-pass run leaves out deliveries a history already holds. The load log
(``raw.lastelogg``) gets the archive's deliveries once the one-pass run has recorded them.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import datetime
from pathlib import Path

from dataprodukt.core.context import RunContext
from dataprodukt.core.errors import UserError
from dataprodukt.core.warehouse import Table, Warehouse
from dataprodukt.load import deliveries, loader
from dataprodukt.load.histories import History
from dataprodukt.load.replay import Loading, Meter, Step, declared_tables, gathered, plan, replay, start
from dataprodukt.load.sources.source_table import Found

# the deliveries of an archive load kept beside the histories, not yet recorded in them
ARCHIVE_LOG = Table(
    loader.RAW_SCHEMA,
    "arkivlogg",
    (("batch", "text"), ("fingerprint", "text"), ("row_counts", "text"), ("delivered_at", "text"), ("origin", "text")),
    key=("batch",),
)
ARCHIVE_SUFFIX = "__arkiv"
TIME_COLUMN = "dbt_leveringstidspunkt"
ARCHIVE_VAR = "historikk_arkiv"


def archive_folders(folder: Path) -> list[Path]:
    """The deliveries of an archive: its subfolders (hidden ones left out)."""
    if not folder.is_dir():
        raise UserError(f"{folder}: no such folder: give the folder holding one subfolder per dated delivery")
    found = sorted(path for path in folder.iterdir() if path.is_dir() and not path.name.startswith("."))
    if not found:
        raise UserError(
            f"{folder} holds no delivery folders: put each delivery in a subfolder named by its time "
            f"({deliveries.NAME_EXAMPLES}) or dated by a {deliveries.MANIFEST}"
        )
    return found


def one_pass_fits(history: History) -> str | None:
    """Why a history can't be recorded in one pass (None when it can)."""
    if history.kind != "full":
        return "a source of changes"
    if history.strategy != "check":
        return f"the {history.strategy} strategy"
    if history.hard_deletes != "new_record":
        return f"hard_deletes {history.hard_deletes or 'ignore'}"
    return None


def load_archive(
    context: RunContext, folder: Path, allow_deletions: Collection[str] = (), one_by_one: bool = False
) -> int:
    """Record every delivery of the archive not yet in history; return how many. Its subfolders are deliveries of
    the source folder that holds the archive (or of the one folder source the project reads)."""
    folders = archive_folders(folder)
    tables = declared_tables(context)
    if one_by_one:
        return replay(context, tables, folders, allow_deletions, require_times=True)
    with gathered(context, tables, folders) as found:
        loading = start(context, allow_deletions)
        loading.histories = loading.reading({source for delivery in found.pending for source in delivery.sources})
        reasons = {history.name: reason for history in loading.histories if (reason := one_pass_fits(history))}
        if reasons:
            why = "; ".join(f"{name}: {reason}" for name, reason in sorted(reasons.items()))
            context.progress.step(f"recording the archive delivery by delivery ({why})")
            return replay(context, tables, folders, allow_deletions, require_times=True)
        return _one_pass(context, loading, folder, found)


def _one_pass(context: RunContext, loading: Loading, folder: Path, found: Found) -> int:
    kept = {str(row["batch"]): row for row in context.warehouse.select(ARCHIVE_LOG)}
    steps, already = plan(loading, found, in_progress=kept, require_times=True)
    if kept and set(kept) <= set(already):
        # the last load recorded its archive and stopped before it tidied up
        _tidy(context.warehouse, loading.histories)
        kept = {}
    _require_resumable(folder, kept, steps)
    if not steps:
        context.progress.step("history already holds every delivery of the archive: nothing to load")
        return 0
    meter = Meter(context.progress, len(steps))
    if not kept:
        _tidy(context.warehouse, loading.histories)
        first = steps.pop(0)
        meter.tick(first, loading.record_one(first))
    previous = max((_time(row) for row in kept.values()), default=None)
    if previous is not None:
        _drop_unkept(context.warehouse, loading.histories, previous)
    for step in steps:
        if step.name in kept:
            meter.tick(step, sum(json.loads(str(kept[step.name]["row_counts"])).values()), "already kept")
            continue
        previous, rows = _keep(loading, step, previous)
        meter.tick(step, sum(rows.values()), "kept")
    if previous is not None:
        _record_kept(loading)
    return meter.total


def _time(row: dict[str, object]) -> datetime:
    return datetime.fromisoformat(str(row["delivered_at"]))


def _require_resumable(folder: Path, kept: dict[str, dict[str, object]], steps: list[Step]) -> None:
    """The deliveries kept by a load that stopped come first in this one, with the same content."""
    if not kept:
        return
    head = steps[: len(kept)]
    if {step.name for step in head} != set(kept) or any(
        str(kept[step.name]["fingerprint"]) != step.delivery.fingerprint for step in head
    ):
        names = ", ".join(sorted(kept))
        raise UserError(
            f"an archive load stopped part-way holds {names}, which {folder} doesn't hold as its oldest deliveries "
            "not yet in history (with the same content): resume it with the archive it was started with"
        )


def archive_table(warehouse: Warehouse, history: History) -> str:
    return warehouse.quote(history.schema, history.identifier + ARCHIVE_SUFFIX)


def _literal(at: datetime) -> str:
    return f"cast('{deliveries.text(at)}' as timestamp)"


def _keep(loading: Loading, step: Step, previous: datetime | None) -> tuple[datetime, dict[str, int]]:
    """Load one delivery, check it against the delivery before it, and keep its staged rows beside each history."""
    at, rows = loading.load(step)
    # after the load: a dbt run in it closes the connection it had
    warehouse = loading.context.warehouse
    live = None
    if previous is not None:
        keys = {history.name: ", ".join(history.keys) for history in loading.histories}
        live = {
            history.name: f"select {keys[history.name]} from {archive_table(warehouse, history)} "
            f"where {TIME_COLUMN} = {_literal(previous)}"
            for history in loading.histories
        }
    loading.check(step, at, live)
    with loading.context.progress.timer("keep"):
        for history in loading.histories:
            table = archive_table(warehouse, history)
            select = f"select {_literal(at)} as {TIME_COLUMN}, kilde.* from ({history.source_sql}) as kilde"
            if warehouse.relation_columns(history.schema, history.identifier + ARCHIVE_SUFFIX):
                warehouse.execute(f"insert into {table} {select}")
            else:
                warehouse.execute(f"create table {table} as {select}")
        warehouse.insert(
            ARCHIVE_LOG,
            [
                {
                    "batch": step.name,
                    "fingerprint": step.delivery.fingerprint,
                    "row_counts": json.dumps(rows, sort_keys=True),
                    "delivered_at": deliveries.text(at),
                    "origin": step.delivery.origin,
                }
            ],
        )
    return at, rows


def _record_kept(loading: Loading) -> None:
    """One history run records every kept delivery; then they are logged as loaded and the kept rows dropped."""
    context = loading.context
    kept = context.warehouse.select(ARCHIVE_LOG)
    context.progress.step(f"recording {len(kept)} kept deliveries in history in one pass (dbt snapshot, archive)")
    sources = sorted({source for history in loading.histories for source in history.sources})
    loading.snapshot({ARCHIVE_VAR: True}, sources)
    rows = [
        loader.log_row(
            str(row.get("origin") or ""),
            str(row["batch"]),
            str(row["fingerprint"]),
            json.loads(str(row["row_counts"])),
            str(row["delivered_at"]),
        )
        for row in sorted(kept, key=_time)
    ]
    context.warehouse.insert(loader.LOAD_LOG, rows)
    _tidy(context.warehouse, loading.histories)


def _drop_unkept(warehouse: Warehouse, histories: list[History], newest_kept: datetime) -> None:
    """Rows of a delivery whose keeping was killed before it was listed in raw.arkivlogg are kept again."""
    for history in histories:
        if warehouse.relation_columns(history.schema, history.identifier + ARCHIVE_SUFFIX):
            warehouse.execute(
                f"delete from {archive_table(warehouse, history)} where {TIME_COLUMN} > {_literal(newest_kept)}"
            )


def _tidy(warehouse: Warehouse, histories: list[History]) -> None:
    """Drop the kept rows and their list (left by a load that stopped before it kept its first delivery, or that
    recorded them)."""
    for history in histories:
        if warehouse.relation_columns(history.schema, history.identifier + ARCHIVE_SUFFIX):
            warehouse.execute(f"drop table {archive_table(warehouse, history)}")
    if warehouse.select(ARCHIVE_LOG):
        warehouse.execute(f"delete from {warehouse.quote(ARCHIVE_LOG.schema, ARCHIVE_LOG.name)} where 1 = 1")
