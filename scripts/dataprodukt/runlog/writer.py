"""The run log: every run of the main job appends what dbt did to tables in the warehouse (schema ``drift``).

dbt rewrites ``target/run_results.json`` and ``target/sources.json`` on every invocation, so the session keeps
each invocation's artifacts as they were written (``DbtSession.invocations``) and this module stores them all:

- ``drift.kjoringer``: one row per run of the job (command, target, start, end, status, error, git commit);
- ``drift.dbt_kall``: one row per dbt invocation in the run (dbt's invocation id, command, start, end, status);
- ``drift.noderesultater``: one row per node per invocation (status, rows, duration, bytes on BigQuery);
- ``drift.kildeferskhet``: one row per source table checked by ``dbt source freshness``.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Sequence, Set
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dataprodukt.core.context import RunContext
from dataprodukt.core.dbt_session import Invocation
from dataprodukt.core.provenance import git_commit, now
from dataprodukt.core.warehouse import Table, Warehouse
from dataprodukt.runlog.results import freshness_results, node_results

SCHEMA = "drift"
RUNS = Table(
    SCHEMA,
    "kjoringer",
    (
        ("run_id", "text"),
        ("command", "text"),
        ("target", "text"),
        ("started_at", "timestamp"),
        ("ended_at", "timestamp"),
        ("duration_seconds", "float"),
        ("status", "text"),
        ("error", "text"),
        ("git_commit", "text"),
        ("dbt_version", "text"),
    ),
)
INVOCATIONS = Table(
    SCHEMA,
    "dbt_kall",
    (
        ("run_id", "text"),
        ("invocation_id", "text"),
        ("command", "text"),
        ("started_at", "timestamp"),
        ("ended_at", "timestamp"),
        ("duration_seconds", "float"),
        ("status", "text"),
    ),
)
NODES = Table(
    SCHEMA,
    "noderesultater",
    (
        ("run_id", "text"),
        ("invocation_id", "text"),
        ("unique_id", "text"),
        ("name", "text"),
        ("resource_type", "text"),
        ("relation_name", "text"),
        ("status", "text"),
        ("message", "text"),
        ("started_at", "timestamp"),
        ("ended_at", "timestamp"),
        ("duration_seconds", "float"),
        ("rows_affected", "int"),
        ("table_rows", "int"),
        ("bytes_processed", "int"),
        ("bytes_billed", "int"),
    ),
)
FRESHNESS = Table(
    SCHEMA,
    "kildeferskhet",
    (
        ("run_id", "text"),
        ("invocation_id", "text"),
        ("unique_id", "text"),
        ("source_name", "text"),
        ("table_name", "text"),
        ("status", "text"),
        ("max_loaded_at", "timestamp"),
        ("snapshotted_at", "timestamp"),
        ("age_seconds", "float"),
        ("warn_after", "text"),
        ("error_after", "text"),
        ("message", "text"),
    ),
)
TABLES = (RUNS, INVOCATIONS, NODES, FRESHNESS)
# nodes whose table is counted after the run when the adapter reports no rows (DuckDB reports none)
COUNTED = {"seed", "snapshot", "model"}


@dataclass(frozen=True)
class RunRecord:
    """What the job knows about its own run, beside what dbt wrote."""

    run_id: str
    command: str
    target: str
    started_at: datetime
    ended_at: datetime
    error: str | None


def new_run_id() -> str:
    return str(uuid.uuid4())


def record_run(
    context: RunContext,
    *,
    command: str,
    started_at: datetime,
    run_id: str | None = None,
    error: BaseException | str | None = None,
) -> str | None:
    """Append this run and every dbt invocation of its session to the run log; return the run id.

    Called from a ``finally`` so a failed run is recorded too. A run log that can't be written is reported on
    stderr and never hides the job's own outcome: the result is None then.
    """
    project = context.project
    record = RunRecord(
        run_id=run_id or new_run_id(),
        command=command,
        target=project.target,
        started_at=started_at,
        ended_at=now(),
        error=_error_text(error),
    )
    try:
        write(context.warehouse, record, context.session.invocations, git_commit(project.root), _views(context))
    except Exception as failure:  # the job's result matters more than its log
        print(
            f"dataprodukt: the run log could not be written to {project.target} ({SCHEMA}): {failure}",
            file=sys.stderr,
        )
        return None
    return record.run_id


def _views(context: RunContext) -> set[str]:
    """Nodes materialized as views or ephemeral (never counted: a count would run their whole query)."""
    try:
        manifest = context.manifest
    except Exception:  # a run that failed before dbt wrote its manifest: nothing to count
        return set()
    return {
        unique_id
        for unique_id, node in (manifest.get("nodes") or {}).items()
        if (node.get("config") or {}).get("materialized") in {"view", "ephemeral"}
    }


def _error_text(error: BaseException | str | None) -> str | None:
    if error is None:
        return None
    if isinstance(error, KeyboardInterrupt):
        return "interrupted"
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0][:2000]


def write(
    warehouse: Warehouse,
    record: RunRecord,
    invocations: Sequence[Invocation],
    commit: str | None,
    views: Set[str] = frozenset(),
) -> None:
    """Insert the run, its invocations, node results and freshness results."""
    dbt_version = _dbt_version()
    failed = any(not invocation.success for invocation in invocations if _counts_as_failure(invocation))
    status = "error" if record.error or failed else "success"
    invocation_rows: list[dict[str, Any]] = []
    node_rows: list[dict[str, Any]] = []
    freshness_rows: list[dict[str, Any]] = []
    for number, invocation in enumerate(invocations):
        results = invocation.artifacts.get("run_results.json") or {}
        sources = invocation.artifacts.get("sources.json") or {}
        invocation_id = str(
            (results.get("metadata") or sources.get("metadata") or {}).get("invocation_id")
            or f"{record.run_id}-{number}"
        )
        invocation_rows.append(
            {
                "run_id": record.run_id,
                "invocation_id": invocation_id,
                "command": " ".join(invocation.command),
                "started_at": invocation.started_at,
                "ended_at": invocation.ended_at,
                "duration_seconds": (invocation.ended_at - invocation.started_at).total_seconds(),
                "status": "success" if invocation.success else "error",
            }
        )
        if invocation.command[:1] != ["docs"]:  # docs generate only compiles: its timings are not run times
            node_rows.extend(node_results(record.run_id, invocation_id, results))
        freshness_rows.extend(freshness_results(record.run_id, invocation_id, sources))
    _count_rows(warehouse, node_rows, views)
    run_row = {
        "run_id": record.run_id,
        "command": record.command,
        "target": record.target,
        "started_at": record.started_at,
        "ended_at": record.ended_at,
        "duration_seconds": (record.ended_at - record.started_at).total_seconds(),
        "status": status,
        "error": record.error,
        "git_commit": commit,
        "dbt_version": dbt_version,
    }
    warehouse.insert(RUNS, [run_row])
    warehouse.insert(INVOCATIONS, invocation_rows)
    warehouse.insert(NODES, node_rows)
    warehouse.insert(FRESHNESS, freshness_rows)


def _counts_as_failure(invocation: Invocation) -> bool:
    # stale sources are shown as stale sources, not as a failed run
    return invocation.command[:2] != ["source", "freshness"]


def _dbt_version() -> str | None:
    try:
        from dbt.version import __version__

        return str(__version__)
    except ImportError:
        return None


def _count_rows(warehouse: Warehouse, rows: list[dict[str, Any]], views: Set[str]) -> None:
    """Fill ``table_rows`` for tables the adapter gave no row count for; one count per relation."""
    counted: dict[str, int | None] = {}
    for row in rows:
        relation = row["relation_name"]
        if row["rows_affected"] is not None or not relation or row["status"] != "success":
            continue
        if row["resource_type"] not in COUNTED or row["unique_id"] in views:
            continue
        if relation not in counted:
            try:
                found = warehouse.query(f"select count(*) from {relation}")
                counted[relation] = int(found[0][0]) if found else None
            except Exception:  # a view that can't be counted cheaply, a dropped table: leave it empty
                counted[relation] = None
        row["table_rows"] = counted[relation]
