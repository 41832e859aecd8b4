"""Deliveries into history, one at a time, in delivery-time order.

Every source whose YAML says where its extracts come from (``meta.loader``; load/sources/) hands over its
deliveries not yet recorded; every one of them is checked before the first is loaded. Each is then loaded into the
raw schema, checked in every history that reads its sources (keys, mass deletions) before any history is written,
and recorded with one snapshot run of those histories whose clock is the delivery's time (the var
``leveringstidspunkt``; load/deliveries.py finds the time). The load log (``raw.lastelogg``) is written only after
the history run succeeded, so a crash in between replays the delivery, and an exact replay adds nothing. A delivery
older than what its histories hold is refused before anything is written.
"""

from __future__ import annotations

import json
import time
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from dataprodukt.core.context import Progress, RunContext
from dataprodukt.core.errors import UserError
from dataprodukt.core.provenance import now
from dataprodukt.load import deliveries, loader
from dataprodukt.load.deliveries import Recorded
from dataprodukt.load.histories import History, check_delivery, compile_histories, newest
from dataprodukt.load.sources import find
from dataprodukt.load.sources.source_table import Delivery, Found, Intake, SourceTable, declared

# dbt vars of a history run: the delivery time its clock returns, and that the loader checked the delivery's keys
DELIVERY_VAR = "leveringstidspunkt"
CHECKED_VAR = "leveranse_kontrollert"


def declared_tables(context: RunContext) -> list[SourceTable]:
    """The source tables the project's YAML tells the loader to read (``meta.loader``)."""
    return declared(context.session.parsed_sources())


@dataclass
class Step:
    """One delivery to record, with its stated time (None until loaded: then the load time is its time)."""

    delivery: Delivery

    @property
    def at(self) -> datetime | None:
        moment = self.delivery.delivered_at
        return deliveries.utc(moment) if moment is not None else None

    @property
    def name(self) -> str:
        return self.delivery.name

    @property
    def label(self) -> str:
        return f"{self.name} ({deliveries.text(self.at) if self.at else 'load time'})"


@dataclass
class Loading:
    """What every delivery of one load shares: the run, the compiled histories, the staging views made."""

    context: RunContext
    histories: list[History]
    allowed: Collection[str] = ()
    staged: set[str] = field(default_factory=set)

    def reading(self, sources: Iterable[str]) -> list[History]:
        """The histories that read any of these sources."""
        wanted = set(sources)
        return [history for history in self.histories if history.sources & wanted]

    def load(self, step: Step) -> tuple[datetime, dict[str, int]]:
        """Load a delivery into raw (its time fixed now when it states none); make its staging views once."""
        delivery = step.delivery
        at = step.at or deliveries.utc(now())
        with self.context.progress.timer("load"):
            rows = loader.load(self.context.warehouse, delivery, deliveries.text(at))
        counts = ", ".join(f"{name} {count}" for name, count in sorted(rows.items()))
        where = "read in place" if not delivery.files else f"loaded {delivery.name} into {loader.RAW_SCHEMA}"
        self.context.progress.step(f"{where} ({delivery.origin}): {counts}")
        new = [source for source in delivery.sources if source not in self.staged]
        if new:
            # the staging views the histories read must exist before the first snapshot run
            with self.context.progress.timer("dbt"):
                self.context.invoke(["run", "--select", *(f"source:{source}+,path:models/staging" for source in new)])
            self.staged.update(new)
        return at, rows

    def check(self, step: Step, at: datetime, live_sql: dict[str, str] | None = None) -> None:
        """Every history reading the delivery checked before any history run (all or nothing across histories)."""
        delivery = step.delivery
        what = f"raw batch {delivery.name}" if delivery.files else f"{delivery.origin} as read {delivery.name}"
        where = f"{what}, delivered {deliveries.text(at)}"
        histories = self.reading(step.delivery.sources)
        with self.context.progress.timer("checks"):
            for note in check_delivery(self.context.warehouse, histories, where, self.allowed, live_sql):
                self.context.progress.step(note)

    def snapshot(self, dbt_vars: dict[str, Any], sources: Sequence[str] = ()) -> None:
        """One `dbt snapshot` over the histories reading ``sources`` (every history when none), with these vars."""
        merged = {**_session_vars(self.context.session.dbt_vars), **dbt_vars, CHECKED_VAR: True}
        selection = ["--select", *(f"source:{source}+" for source in sources)] if sources else []
        with self.context.progress.timer("dbt"):
            self.context.invoke(["snapshot", *selection], ["--vars", json.dumps(merged)])

    def record_one(self, step: Step) -> int:
        """Load, check and record one delivery in every history reading it, then log it; returns its rows."""
        at, rows = self.load(step)
        self.check(step, at)
        self.context.progress.step(f"recording {step.name} in history (dbt snapshot, {deliveries.text(at)})")
        self.snapshot({DELIVERY_VAR: deliveries.text(at)}, step.delivery.sources)
        loader.record(self.context.warehouse, step.delivery, rows, deliveries.text(at))
        return sum(rows.values())


@dataclass
class Meter:
    """Progress of a load of many deliveries: n of N, rows, time so far and an estimate of the time left."""

    progress: Progress
    total: int
    started: float = field(default_factory=time.monotonic)
    done: int = 0
    rows: int = 0

    def tick(self, step: Step, rows: int, what: str = "recorded") -> None:
        self.done += 1
        self.rows += rows
        elapsed = time.monotonic() - self.started
        left = elapsed / self.done * (self.total - self.done)
        self.progress.step(
            f"delivery {self.done} of {self.total} {what}: {step.label}, {rows:,} rows "
            f"({self.rows:,} in all); {elapsed:.1f} s elapsed, about {left:.0f} s left"
        )


def start(context: RunContext, allowed: Collection[str] = ()) -> Loading:
    histories = compile_histories(context)
    unknown = sorted(set(allowed) - {history.name for history in histories})
    if unknown:
        names = ", ".join(history.name for history in histories) or "none"
        raise UserError(f"--allow-deletions {', '.join(unknown)}: no such history (the histories: {names})")
    return Loading(context, histories, allowed)


@contextmanager
def gathered(context: RunContext, tables: list[SourceTable], batches: list[Path] | None = None) -> Iterator[Found]:
    """Every source's deliveries not yet logged, and every problem found in them (``plan`` raises on any, with the
    problems of their order, so one fix-up round is enough); the extracts read from databases are removed after."""
    if not tables:
        raise UserError("no source declares meta.loader (where its extracts come from): nothing to load")
    scratch = context.project.build_dir / "uttrekk"
    intake = Intake(context.project.root, scratch, loader.loaded(context.warehouse), context.warehouse, batches)
    found = find(intake, tables)
    try:
        if not found.problems:
            found.problems += _never_delivered(context, tables, found.counts)
        yield found
    finally:
        for delivery in found.pending:
            delivery.done()


def recorded(context: RunContext) -> list[tuple[str, Recorded]]:
    """The deliveries in the load log with their origin and delivery time (none for one logged before times were)."""
    found = []
    for row in context.warehouse.select(loader.LOAD_LOG):
        at = row.get("delivered_at")
        moment = datetime.fromisoformat(str(at)) if at else None
        found.append((str(row.get("origin") or ""), Recorded(str(row["batch"]), str(row["fingerprint"]), moment)))
    return found


def plan(
    loading: Loading,
    found: Found,
    in_progress: Collection[str] = (),
    require_times: bool = False,
) -> tuple[list[Step], list[str]]:
    """Order the deliveries not yet recorded (each origin's against its own histories and log); refuse any that
    can't be recorded in order, naming every problem at once."""
    problems = list(found.problems)
    steps = []
    for delivery in found.pending:
        if delivery.delivered_at is None and require_times:
            problems.append(
                f"{delivery.folder or delivery.origin}: an archive's deliveries each need their time: name the folder "
                f"{deliveries.NAME_EXAMPLES} (UTC), or give the time in its {deliveries.MANIFEST}"
            )
        else:
            steps.append(Step(delivery))
    log = recorded(loading.context)
    by_origin: dict[str, list[Step]] = {}
    for step in steps:
        by_origin.setdefault(step.delivery.origin, []).append(step)
    ordered: list[Step] = []
    already: list[str] = []
    for origin, members in sorted(by_origin.items()):
        sources = {source for step in members for source in step.delivery.sources}
        newest_versions = newest(loading.context.warehouse, loading.reading(sources))
        own_log = [entry for logged_origin, entry in log if logged_origin in (origin, "")]
        _refuse_skipping_a_partial_delivery(loading.context, own_log, newest_versions, members)
        by_name = {step.name: step for step in members}
        try:
            result = deliveries.order(
                [_dated(step) for step in members], own_log, newest_versions, deliveries.utc(now()), in_progress
            )
        except UserError as error:
            problems += str(error).splitlines()
            continue
        ordered += [by_name[delivery.name] for delivery in result.pending]
        already += result.already
    if problems:
        count = len(problems)
        raise UserError(f"{count} problem(s) in the deliveries, nothing loaded:\n  " + "\n  ".join(problems))
    return sorted(ordered, key=_order), already


def _dated(step: Step) -> deliveries.Delivery:
    delivery = step.delivery
    folder = delivery.folder or Path(delivery.origin) / delivery.name
    return deliveries.Delivery(folder, delivery.fingerprint, step.at, delivery.stated_by)


def _order(step: Step) -> tuple[int, datetime, str, str]:
    """Delivery-time order across origins; deliveries without a time last (they are dated when loaded)."""
    at = step.at
    return (
        (1, datetime.min, step.delivery.origin, step.name) if at is None else (0, at, step.delivery.origin, step.name)
    )


def _refuse_skipping_a_partial_delivery(
    context: RunContext, log: list[Recorded], newest_versions: dict[str, datetime], steps: list[Step]
) -> None:
    """A delivery whose history runs stopped part-way (some histories hold it, the log doesn't) is recorded
    again before any other: otherwise the histories that miss it would never get it."""
    current = context.warehouse.select(loader.CURRENT_BATCH)
    if not current or not current[0].get("levert"):
        return
    name, at = str(current[0]["batch"]), datetime.fromisoformat(str(current[0]["levert"]))
    if name in {entry.name for entry in log} or name in {step.name for step in steps}:
        return
    holding = sorted(history for history, moment in newest_versions.items() if moment == at)
    if holding:
        raise UserError(
            f"delivery {name} (delivered {deliveries.text(at)}) is recorded in {', '.join(holding)} but not in every "
            f"history: its load stopped part-way. Load it again first (`dataprodukt load --batch FOLDER` with its "
            "folder; it adds nothing where it is already recorded), then the others"
        )


def replay(
    context: RunContext,
    tables: list[SourceTable],
    batches: list[Path] | None = None,
    allow_deletions: Collection[str] = (),
    require_times: bool = False,
) -> int:
    """Record each delivery not yet in history, oldest first, one snapshot run each; return how many."""
    progress = context.progress
    with gathered(context, tables, batches) as found:
        loading = start(context, allow_deletions)
        steps, _already = plan(loading, found, require_times=require_times)
        if not steps:
            progress.step("history already holds every delivery: nothing to load")
            return 0
        meter = Meter(progress, len(steps))
        for step in steps:
            rows = loading.record_one(step)
            meter.tick(step, rows)
    return len(steps)


def _never_delivered(context: RunContext, tables: list[SourceTable], counts: dict[str, int]) -> list[str]:
    """A folder source with no delivery at all, and no raw table from earlier: name where its first one goes."""
    problems = []
    for table in tables:
        origin = str(table.setting("folder", ""))
        if table.kind != "files" or counts.get(origin, 0):
            continue
        if context.warehouse.relation_columns(table.schema, table.identifier):
            continue
        file = table.setting("file", f"{table.name}.{table.setting('format', 'csv')}")
        problems.append(
            f"source {table.label} ({table.yaml_path}): no delivery in {origin} yet: put the first extract in "
            f"{origin}/<delivery>/{file} (a folder per delivery, named by its date, e.g. 2025-01-31)"
        )
    return problems


def _session_vars(text: str) -> dict[str, Any]:
    """The session's --vars (YAML, as dbt reads them), to extend for one run."""
    if not text.strip():
        return {}
    found = yaml.safe_load(text)
    if not isinstance(found, dict):
        raise UserError(f"--vars {text!r} is not a mapping: write e.g. '{{period_from: 2024-Q2}}'")
    return found
