"""Run dbt in this process through its programmatic API, parsing the project once."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from dataprodukt.core.errors import UserError
from dataprodukt.core.project import Project
from dataprodukt.core.provenance import now

# artifacts dbt rewrites on every invocation that makes them; read right after each one, before the next overwrites
RESULT_ARTIFACTS = ("run_results.json", "sources.json")


@dataclass
class Invocation:
    """One dbt command run by a session, with the result artifacts it wrote (for the run log)."""

    command: list[str]
    started_at: datetime
    ended_at: datetime
    success: bool
    artifacts: dict[str, dict[str, Any]] = field(default_factory=dict)


class DbtSession:
    """One parse, many commands: dbt's fixed start-up cost is paid once per process."""

    def __init__(self, project: Project, quiet: bool = False, dbt_vars: str = "") -> None:
        project.apply_environment()
        self.project = project
        self.quiet = quiet
        # --vars for every invocation, e.g. the period a scheduled run builds: "{period_from: 2024-Q2}"
        self.dbt_vars = dbt_vars
        self._manifest: Any = None
        # every command run through this session, in order (read by dataprodukt.runlog.writer)
        self.invocations: list[Invocation] = []

    def _base_args(self) -> list[str]:
        args = [
            "--project-dir",
            str(self.project.root),
            "--profiles-dir",
            str(self.project.profiles_dir),
            "--target",
            self.project.target,
        ]
        if self.dbt_vars:
            args += ["--vars", self.dbt_vars]
        return args

    def invoke(self, command: Sequence[str], extra: Sequence[str] = ()) -> Any:
        """Run ``dbt <command> <extra>``; raise UserError naming the command when it fails."""
        from dbt.cli.main import dbtRunner

        # `parse` parses the files again (a runner given a manifest would hand back that one): files written
        # during a run, e.g. a new version's, reach the commands after it
        runner = dbtRunner(manifest=None if command[0] == "parse" else self._manifest)
        flags = ["--quiet"] if self.quiet else []
        started = time.monotonic()
        before = {name: _mtime(self.project.target_dir / name) for name in RESULT_ARTIFACTS}
        started_at = now()
        result = runner.invoke([*flags, *command, *self._base_args(), *extra])
        self.invocations.append(
            Invocation([*command, *extra], started_at, now(), bool(result.success), self._fresh(before))
        )
        if command[0] == "parse" and result.success:
            self._manifest = result.result
        if not result.success:
            reason = _failure_reason(result)
            raise UserError(
                f"dbt {' '.join(command)} failed on target {self.project.target}: {reason} "
                f"(see the dbt output above and {self.project.root / 'logs' / 'dbt.log'})"
            )
        self.last_seconds = time.monotonic() - started
        return result.result

    def _fresh(self, before: dict[str, int | None]) -> dict[str, dict[str, Any]]:
        """The result artifacts this invocation wrote (those whose modification time moved)."""
        fresh = {}
        for name, mtime in before.items():
            path = self.project.target_dir / name
            if _mtime(path) not in (None, mtime):
                try:
                    fresh[name] = json.loads(path.read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    continue
        return fresh

    def parse(self) -> Any:
        """Parse; every later command of this session reuses the parsed manifest (until the next parse)."""
        return self.invoke(["parse"])

    def parsed_sources(self) -> dict[str, dict[str, Any]]:
        """The sources of the parsed manifest, as manifest.json writes them (read from memory, not the file)."""
        if self._manifest is None:
            self.parse()
        return {unique_id: source.to_dict() for unique_id, source in self._manifest.sources.items()}

    def macro_users(self, macro: str) -> list[str]:
        """The nodes that call a macro of this name (dbt records every node's macros when it parses), sorted."""
        if self._manifest is None:
            self.parse()
        return sorted(
            node.name
            for node in self._manifest.nodes.values()
            if any(str(unique_id or "").rsplit(".", 1)[-1] == macro for unique_id in node.depends_on.macros)
        )

    def upstream_sources(self, unique_id: str) -> set[str]:
        """The names of the sources a node of the parsed manifest reads, directly or through other nodes."""
        if self._manifest is None:
            self.parse()
        names: set[str] = set()
        seen: set[str] = set()
        todo = [unique_id]
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            if current in self._manifest.sources:
                names.add(str(self._manifest.sources[current].source_name))
            elif current in self._manifest.nodes:
                todo += list(self._manifest.nodes[current].depends_on.nodes)
        return names

    def manifest_json(self) -> dict[str, Any]:
        """manifest.json as the last command wrote it."""
        from dataprodukt.core.artifacts import read_artifact

        manifest: dict[str, Any] = read_artifact(self.project.target_dir / "manifest.json", "dbt parse")
        return manifest


def _failure_reason(result: Any) -> str:
    if result.exception is not None:
        # the whole message on one line: its first line alone ("Compilation Error") names neither node nor cause
        text = " ".join(str(result.exception).split())
        return text[:600] if text else repr(result.exception)
    failed = []
    for item in getattr(result.result, "results", None) or []:
        status = str(getattr(item, "status", ""))
        if status in {"error", "fail", "runtime error"}:
            message = " ".join(str(getattr(item, "message", "") or "").split())[:300]
            failed.append(f"{item.node.name} ({status}{': ' + message if message else ''})")
    if failed:
        return f"{len(failed)} node(s) failed: {', '.join(failed[:10])}"
    return "see the messages above"


def _mtime(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None
