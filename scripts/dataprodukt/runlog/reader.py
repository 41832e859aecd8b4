"""Read the run log back: the last runs, their failures, the slowest models, data volume and stale sources."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from dataprodukt.core.warehouse import Warehouse
from dataprodukt.runlog.writer import FRESHNESS, INVOCATIONS, NODES, RUNS

FAILED = {"error", "fail", "runtime error"}
# invocations whose node timings are real run times (docs generate only compiles)
EXECUTING = ("build", "run", "snapshot", "seed", "test")


@dataclass
class Run:
    run_id: str
    command: str
    target: str
    started_at: datetime | None
    duration_seconds: float | None
    status: str
    error: str | None
    git_commit: str | None
    nodes: list[dict[str, Any]] = field(default_factory=list)
    freshness: list[dict[str, Any]] = field(default_factory=list)

    @property
    def failures(self) -> list[dict[str, Any]]:
        return [node for node in self.nodes if node["status"] in FAILED]

    @property
    def built(self) -> list[dict[str, Any]]:
        """Node results of the invocations that executed nodes (latest result per node)."""
        latest: dict[str, dict[str, Any]] = {}
        for node in self.nodes:
            if str(node.get("command") or "").split(" ")[0] in EXECUTING:
                latest[node["unique_id"]] = node
        return list(latest.values())

    @property
    def rows(self) -> int:
        return sum(rows_of(node) or 0 for node in self.built if node["resource_type"] in {"model", "seed", "snapshot"})

    @property
    def bytes_processed(self) -> int | None:
        values = [node["bytes_processed"] for node in self.built if node["bytes_processed"] is not None]
        return sum(values) if values else None


def rows_of(node: dict[str, Any]) -> int | None:
    value = node.get("rows_affected")
    return value if value is not None else node.get("table_rows")


def has_log(warehouse: Warehouse) -> bool:
    return bool(warehouse.relation_columns(RUNS.schema, RUNS.name))


def last_runs(warehouse: Warehouse, limit: int = 10, command: str | None = None) -> list[Run]:
    """The newest runs first, each with its node and freshness results (empty when nothing is logged)."""
    if not has_log(warehouse):
        return []

    def table(spec: Any) -> str:
        return str(warehouse.quote(spec.schema, spec.name))

    where = f"where command = {warehouse.text_literal(command)}" if command else ""
    rows = warehouse.query(
        "select run_id, command, target, started_at, duration_seconds, status, error, git_commit "
        f"from {table(RUNS)} {where} order by started_at desc limit {int(limit)}"
    )
    runs = [Run(*row) for row in rows]
    if not runs:
        return runs
    ids = ", ".join(warehouse.text_literal(run.run_id) for run in runs)
    by_id = {run.run_id: run for run in runs}
    commands = {
        str(invocation_id): str(text)
        for invocation_id, text in warehouse.query(
            f"select invocation_id, command from {table(INVOCATIONS)} where run_id in ({ids})"
        )
    }
    for row in warehouse.query(
        f"select {', '.join(NODES.names)} from {table(NODES)} where run_id in ({ids}) order by started_at"
    ):
        node = dict(zip(NODES.names, row, strict=True))
        node["command"] = commands.get(str(node["invocation_id"]), "")
        by_id[node["run_id"]].nodes.append(node)
    for row in warehouse.query(f"select {', '.join(FRESHNESS.names)} from {table(FRESHNESS)} where run_id in ({ids})"):
        result = dict(zip(FRESHNESS.names, row, strict=True))
        by_id[result["run_id"]].freshness.append(result)
    return runs


def latest_freshness(runs: list[Run]) -> list[dict[str, Any]]:
    """The freshness results of the newest run that checked freshness."""
    for run in runs:
        if run.freshness:
            return sorted(run.freshness, key=lambda result: result["unique_id"])
    return []


def stale(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [result for result in results if result["status"] != "pass"]


def slowest(runs: list[Run], limit: int = 10) -> list[dict[str, Any]]:
    """The slowest models of the newest run that built models."""
    for run in runs:
        models = [node for node in run.built if node["resource_type"] in {"model", "snapshot", "seed"}]
        if models:
            return sorted(models, key=lambda node: -(node["duration_seconds"] or 0.0))[:limit]
    return []


def largest(runs: list[Run], limit: int = 10) -> list[dict[str, Any]]:
    """The tables with the most rows written in the newest run that built models."""
    for run in runs:
        tables = [node for node in run.built if rows_of(node) is not None]
        if tables:
            return sorted(tables, key=lambda node: -(rows_of(node) or 0))[:limit]
    return []


def latest_node_status(runs: list[Run]) -> dict[str, dict[str, Any]]:
    """The newest executed result per node (unique_id) across the runs, with the run it came from."""
    status: dict[str, dict[str, Any]] = {}
    for run in runs:  # newest first: keep the first one seen
        for node in run.built:
            status.setdefault(node["unique_id"], {**node, "run_started_at": run.started_at})
    return status


def as_utc(value: Any) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
