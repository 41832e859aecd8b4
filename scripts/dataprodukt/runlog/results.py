"""dbt's result artifacts (run_results.json, sources.json) as rows for the run log, one per node or source."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any


def node_results(run_id: str, invocation_id: str, results: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per node in a run_results.json document."""
    rows = []
    for result in results.get("results") or []:
        unique_id = str(result.get("unique_id", ""))
        response = result.get("adapter_response") or {}
        started, ended = _timing(result.get("timing") or [])
        rows.append(
            {
                "run_id": run_id,
                "invocation_id": invocation_id,
                "unique_id": unique_id,
                "name": _node_name(unique_id),
                "resource_type": unique_id.split(".", 1)[0],
                "relation_name": result.get("relation_name"),
                "status": str(result.get("status", "")),
                "message": _one_line(result.get("message")),
                "started_at": started,
                "ended_at": ended,
                "duration_seconds": float(result.get("execution_time") or 0.0),
                # PostgreSQL answers -1 for DDL (create view): no row count, not a negative one
                "rows_affected": _count(response.get("rows_affected")),
                "table_rows": None,
                "bytes_processed": _int(response.get("bytes_processed")),
                "bytes_billed": _int(response.get("bytes_billed")),
            }
        )
    return rows


def freshness_results(run_id: str, invocation_id: str, sources: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per source table in a sources.json document."""
    rows = []
    for result in sources.get("results") or []:
        unique_id = str(result.get("unique_id", ""))
        parts = unique_id.split(".")
        criteria = result.get("criteria") or {}
        rows.append(
            {
                "run_id": run_id,
                "invocation_id": invocation_id,
                "unique_id": unique_id,
                "source_name": parts[2] if len(parts) > 3 else "",
                "table_name": parts[-1],
                "status": str(result.get("status", "")),
                "max_loaded_at": _timestamp(result.get("max_loaded_at")),
                "snapshotted_at": _timestamp(result.get("snapshotted_at")),
                "age_seconds": result.get("max_loaded_at_time_ago_in_s"),
                "warn_after": _period(criteria.get("warn_after")),
                "error_after": _period(criteria.get("error_after")),
                "message": _one_line(result.get("error") or result.get("message")),
            }
        )
    return rows


def _node_name(unique_id: str) -> str:
    parts = unique_id.split(".")
    if len(parts) >= 4 and parts[-1].startswith("v") and parts[-1][1:].isdigit() and parts[0] == "model":
        return f"{parts[-2]}.{parts[-1]}"
    return parts[-1] if parts else unique_id


def _timing(timing: Iterable[dict[str, Any]]) -> tuple[datetime | None, datetime | None]:
    for step in timing:
        if step.get("name") == "execute":
            return _timestamp(step.get("started_at")), _timestamp(step.get("completed_at"))
    return None, None


def _timestamp(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _period(value: Any) -> str | None:
    if not isinstance(value, dict) or not value.get("count"):
        return None
    return f"{value['count']} {value.get('period', '')}".strip()


def _count(value: Any) -> int | None:
    number = _int(value)
    return number if number is not None and number >= 0 else None


def _int(value: Any) -> int | None:
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None


def _one_line(value: Any) -> str | None:
    """dbt's message on one line: its first line names the node, the next ones say what went wrong."""
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text[:2000] if text else None
