"""The histories a delivery is recorded in, as dbt compiles them, and what is checked in every one of them before
any is written: each key present and unique, and no mass deletion from a full extract.

A delivery is all or nothing across histories: the checks run on every history's source first, and only when none
has a problem does the first history run start. The SQL is plain and portable (group by, left join, count), run on
the loader's own connection.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dataprodukt.core.context import RunContext
from dataprodukt.core.errors import UserError
from dataprodukt.core.warehouse import Warehouse
from dataprodukt.load.deliveries import utc

DEFAULT_MAX_DELETED_SHARE = 0.10


@dataclass(frozen=True)
class History:
    """One history (dbt snapshot) as dbt compiled it: where it is, what it records, and how it marks its rows."""

    name: str
    yaml_path: str
    database: str
    schema: str
    identifier: str
    relation: str
    source_sql: str
    source_name: str
    keys: tuple[str, ...]
    kind: str
    strategy: str
    hard_deletes: str
    valid_from: str
    valid_to: str
    is_deleted: str
    current: str | None
    max_deleted_share: float
    # the sources it reads, directly or through staging models: a delivery of them is recorded in it
    sources: frozenset[str] = frozenset()

    @property
    def is_current(self) -> str:
        """SQL: the row is a current row (its valid-to is the far-future time, or empty when none is set)."""
        if self.current:
            return f"{self.valid_to} = {self.current}"
        return f"{self.valid_to} is null"

    def key_join(self, left: str, right: str) -> str:
        return " and ".join(f"{left}.{key} = {right}.{key}" for key in self.keys)


def compile_histories(context: RunContext) -> list[History]:
    """Every enabled history of the project, compiled by dbt (one `dbt compile` of the snapshots)."""
    result = context.invoke(["compile", "--select", "resource_type:snapshot", "--indirect-selection", "empty"])
    found = []
    for item in getattr(result, "results", None) or []:
        node = item.node
        if str(getattr(node, "resource_type", "")) == "snapshot":
            found.append(_history(node, context.session.upstream_sources(str(node.unique_id))))
    return sorted(found, key=lambda history: history.name)


def _history(node: Any, sources: set[str]) -> History:
    config = node.config
    meta = dict(config.meta or {})
    columns = config.snapshot_meta_column_names
    key = config.unique_key
    keys = tuple([key] if isinstance(key, str) else list(key))
    depends = list(node.depends_on.nodes)
    # the source's name for messages: the one model or source it reads (a unique id ends with the name)
    source_name = depends[0].split(".")[-1] if len(depends) == 1 else "its query"
    share = meta.get("max_deleted_share", DEFAULT_MAX_DELETED_SHARE)
    if isinstance(share, bool) or not isinstance(share, int | float) or not 0 <= share <= 1:
        raise UserError(
            f"{node.name}: meta.max_deleted_share is {share!r} in {node.original_file_path}: give the share of live "
            "keys one full extract may delete, between 0 and 1 (default 0.1)"
        )
    return History(
        name=node.name,
        yaml_path=node.original_file_path,
        database=str(node.database or ""),
        schema=str(node.schema),
        identifier=str(node.alias or node.name),
        relation=str(node.relation_name),
        source_sql=str(node.compiled_code or "").strip().rstrip(";"),
        source_name=source_name,
        keys=keys,
        kind=str(meta.get("history_source", "full")),
        strategy=str(config.strategy),
        hard_deletes=str(config.to_dict().get("hard_deletes") or ""),
        valid_from=columns.dbt_valid_from or "dbt_valid_from",
        valid_to=columns.dbt_valid_to or "dbt_valid_to",
        is_deleted=columns.dbt_is_deleted or "dbt_is_deleted",
        current=str(config.dbt_valid_to_current).strip() if config.dbt_valid_to_current else None,
        max_deleted_share=float(share),
        sources=frozenset(sources),
    )


def exists(warehouse: Warehouse, history: History) -> bool:
    return bool(warehouse.relation_columns(history.schema, history.identifier))


def newest(warehouse: Warehouse, histories: Sequence[History]) -> dict[str, datetime]:
    """The newest version's gyldig_fra of each history that exists and holds rows (UTC)."""
    found = {}
    for history in histories:
        if not exists(warehouse, history):
            continue
        rows = warehouse.query(f"select max({history.valid_from}) from {history.relation}")
        moment = rows[0][0] if rows else None
        if isinstance(moment, datetime):
            found[history.name] = utc(moment)
    return found


def key_problems(warehouse: Warehouse, history: History, where: str) -> list[str]:
    """A duplicate or empty key in the history's source (the extract now in raw), as the history guard words it."""
    keys = ", ".join(history.keys)
    empty = " or ".join(f"{key} is null" for key in history.keys)
    rows = warehouse.query(
        f"select {keys}, count(*) as rader from ({history.source_sql}) as kilde "
        f"group by {keys} having count(*) > 1 or {empty} order by rader desc limit 10"
    )
    if not rows:
        return []
    name = "/".join(history.keys)
    found = []
    for row in rows:
        values, count = row[:-1], row[-1]
        if any(value is None for value in values):
            found.append(f"{name} is null in {count} row(s)")
        else:
            found.append(f"{name} '{'/'.join(str(value) for value in values)}' appears {count} times")
    shown = " (first 10 shown)" if len(found) == 10 else ""
    return [f"{history.name}: in {history.source_name} ({where}), {'; '.join(found)}{shown}"]


def live_keys_of_history(history: History) -> str:
    """SQL: the keys of a history's live current rows (what a full extract keeps or deletes)."""
    keys = ", ".join(history.keys)
    return f"select {keys} from {history.relation} where {history.is_current} and {history.is_deleted} = 'False'"


def deletion_problem(
    warehouse: Warehouse, history: History, live_sql: str, delivery: str, allowed: Collection[str]
) -> tuple[str | None, str | None]:
    """(problem, note): a full extract that would delete more than the history's share of its live keys is a
    problem, unless allowed for it (then a note says so)."""
    if history.kind != "full":
        return None, None
    rows = warehouse.query(
        f"select count(*), sum(case when kilde.{history.keys[0]} is null then 1 else 0 end) "
        f"from ({live_sql}) as levende left join ({history.source_sql}) as kilde "
        f"on {history.key_join('levende', 'kilde')}"
    )
    live, gone = (int(rows[0][0] or 0), int(rows[0][1] or 0)) if rows else (0, 0)
    if not live or gone / live <= history.max_deleted_share:
        return None, None
    share = f"{gone / live:.1%} of {live} live keys"
    if history.name in allowed:
        return None, f"{history.name}: {delivery} deletes {gone} keys ({share}), confirmed by --allow-deletions"
    return (
        f"{history.name}: {delivery} would delete {gone} keys, {share} (more than the "
        f"{history.max_deleted_share:.0%} set by meta.max_deleted_share in {history.yaml_path}): a truncated or empty "
        f"extract? Nothing was written to history. Fix the extract, or confirm the deletions with "
        f"--allow-deletions {history.name}",
        None,
    )


def check_delivery(
    warehouse: Warehouse,
    histories: Sequence[History],
    delivery: str,
    allowed: Collection[str] = (),
    live_sql: dict[str, str] | None = None,
) -> list[str]:
    """Check the extract now in raw against every history before any history run: keys first, then deletions.
    Raises on any problem; returns notes (deletions confirmed with --allow-deletions).

    ``live_sql`` gives, per history, the keys the extract is compared with (default: the history's live current
    rows; an archive load compares with the previous delivery)."""
    problems: list[str] = []
    for history in histories:
        problems += key_problems(warehouse, history, delivery)
    if problems:
        raise UserError(
            "\n".join(problems) + ". Nothing was written to history. Fix the extract (one row per key, no empty key) "
            "and load it again."
        )
    notes = []
    for history in histories:
        live = (live_sql or {}).get(history.name)
        if live is None:
            if not exists(warehouse, history):
                continue
            live = live_keys_of_history(history)
        problem, note = deletion_problem(warehouse, history, live, delivery, allowed)
        if problem:
            problems.append(problem)
        if note:
            notes.append(note)
    if problems:
        raise UserError("\n".join(problems))
    return notes
