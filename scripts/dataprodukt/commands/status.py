"""`dataprodukt status`: the last runs, failures, slowest models, data volume and stale sources, from the run log."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from dataprodukt import commands

RUN_COLUMNS = ("started (UTC)", "command", "target", "status", "duration", "nodes", "failed", "rows", "bytes", "commit")


def register(verbs: Any) -> None:
    parser = verbs.add_parser(
        "status", help="show the last runs, failures, slowest models, data volume and stale sources (run log)"
    )
    commands.add_target(parser)
    parser.add_argument("--runs", type=int, default=10, help="how many runs to list (default 10)")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from dataprodukt.core.warehouse import connected
    from dataprodukt.runlog import reader as runstatus
    from dataprodukt.runlog.writer import SCHEMA

    project = commands.project(args)
    with connected(project) as warehouse:
        runs = runstatus.last_runs(warehouse, limit=max(1, args.runs))
    if not runs:
        print(f"no runs recorded in {SCHEMA} on target {project.target} yet: run `dataprodukt run` first")
        return 0
    print(render(runs))
    return 0


def render(runs: list[Any]) -> str:
    from dataprodukt.runlog import reader as runstatus

    sections = [
        (
            f"Last runs ({len(runs)})",
            table(
                [*RUN_COLUMNS],
                [
                    [
                        _time(run.started_at),
                        run.command,
                        run.target,
                        run.status,
                        _seconds(run.duration_seconds),
                        str(len(run.built)),
                        str(len(run.failures)),
                        _number(run.rows),
                        _number(run.bytes_processed),
                        (run.git_commit or "")[:12] + ("-dirty" if (run.git_commit or "").endswith("-dirty") else ""),
                    ]
                    for run in runs
                ],
            ),
        ),
        ("Failures", _failures(runs)),
        (
            "Slowest models (last build)",
            table(
                ["model", "type", "status", "seconds", "rows", "bytes processed"],
                [
                    [
                        node["name"],
                        node["resource_type"],
                        node["status"],
                        f"{node['duration_seconds'] or 0.0:.2f}",
                        _number(runstatus.rows_of(node)),
                        _number(node["bytes_processed"]),
                    ]
                    for node in runstatus.slowest(runs)
                ],
            ),
        ),
        (
            "Data volume (last build, largest first)",
            table(
                ["table", "rows", "bytes processed", "bytes billed"],
                [
                    [
                        (node["relation_name"] or node["name"]).replace('"', "").replace("`", ""),
                        _number(runstatus.rows_of(node)),
                        _number(node["bytes_processed"]),
                        _number(node["bytes_billed"]),
                    ]
                    for node in runstatus.largest(runs)
                ],
            ),
        ),
        ("Stale sources", _stale(runstatus.latest_freshness(runs))),
    ]
    return "\n\n".join(f"{title}\n{body}" for title, body in sections)


def _failures(runs: list[Any]) -> str:
    rows = []
    for run in runs:
        for node in run.failures:
            rows.append([_time(run.started_at), node["name"], node["status"], _clip(node["message"] or "")])
        if run.status == "error" and not run.failures:
            rows.append([_time(run.started_at), f"({run.command})", "error", _clip(run.error or "")])
    return table(["run started (UTC)", "node", "status", "message"], rows, empty="none in the listed runs")


def _stale(results: list[dict[str, Any]]) -> str:
    from dataprodukt.runlog import reader as runstatus

    if not results:
        return "  no source freshness recorded (sources need freshness and a loaded_at_query or loaded_at_field)"
    rows = [
        [
            f"{result['source_name']}.{result['table_name']}",
            result["status"],
            _time(result["max_loaded_at"]),
            _age(result["age_seconds"]),
            result["warn_after"] or "",
            result["error_after"] or "",
        ]
        for result in runstatus.stale(results)
    ]
    return table(
        ["source", "status", "last loaded (UTC)", "age", "warn after", "error after"],
        rows,
        empty=f"none: {len(results)} source table(s) fresh",
    )


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], empty: str = "none") -> str:
    """Plain text columns, numbers right-aligned."""
    if not rows:
        return f"  {empty}"
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]
    numeric = [all(_is_number(str(row[index])) for row in rows) for index in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        parts = [
            str(cell).rjust(width) if right else str(cell).ljust(width)
            for cell, width, right in zip(cells, widths, numeric, strict=True)
        ]
        return "  " + "  ".join(parts).rstrip()

    return "\n".join([line(headers), line(["-" * width for width in widths]), *(line(row) for row in rows)])


def _is_number(text: str) -> bool:
    return text == "" or text.replace(" ", "").replace(".", "").replace("s", "").isdigit()


def _time(value: Any) -> str:
    from dataprodukt.runlog.reader import as_utc

    stamp = as_utc(value)
    return stamp.strftime("%Y-%m-%d %H:%M:%S") if stamp else ""


def _seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}s"


def _number(value: int | None) -> str:
    return "" if value is None else f"{value:,}".replace(",", " ")


def _age(seconds: float | None) -> str:
    if seconds is None:
        return ""
    days, rest = divmod(int(seconds), 86_400)
    return f"{days}d {rest // 3600}h" if days else f"{rest // 3600}h {rest % 3600 // 60}m"


def _clip(text: str, width: int = 160) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
