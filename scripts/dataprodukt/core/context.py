"""One run's context: what every step of the main job (and every verb that does one step) shares.

The project, its dbt session, where files are published, one connection to the warehouse, and dbt's artifacts
read once after the last dbt command that wrote them. A step takes the context and reads what it needs from it;
nothing is read or rendered twice.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from dataprodukt.core.artifacts import Artifacts
from dataprodukt.core.dbt_session import DbtSession
from dataprodukt.core.project import Project
from dataprodukt.core.storage import Storage, catalog_for, storage_for
from dataprodukt.core.warehouse import Warehouse, connect
from dataprodukt.rules.identity import Dataset, published_datasets


@dataclass
class Progress:
    """Prints one line per step with the time since the job started, and sums the time of each kind of work."""

    started: float = field(default_factory=time.monotonic)
    timings: dict[str, float] = field(default_factory=dict)

    def step(self, message: str) -> None:
        print(f"[dataprodukt {time.monotonic() - self.started:6.1f}s] {message}", flush=True)

    @contextmanager
    def timer(self, name: str) -> Iterator[None]:
        """Add the time spent in the block to ``timings[name]``."""
        began = time.monotonic()
        try:
            yield
        finally:
            self.timings[name] = self.timings.get(name, 0.0) + time.monotonic() - began


class RunContext:
    """What the steps share. Open one with :meth:`open`; close it (or use it in a ``with``) when done."""

    def __init__(
        self,
        project: Project,
        session: DbtSession,
        storage: Storage | None = None,
        catalog: Storage | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.project = project
        self.session = session
        self.storage = storage or storage_for(project)
        self.catalog = catalog or catalog_for(project, self.storage)
        self.progress = progress or Progress()
        self._warehouse: Warehouse | None = None
        self._artifacts: Artifacts | None = None
        # how often dbt's artifacts were read from disk in this run (the main job reads them once)
        self.artifact_reads = 0

    @classmethod
    def open(cls, project: Project, dbt_vars: str = "", quiet: bool = False, **places: Any) -> RunContext:
        return cls(project, DbtSession(project, quiet=quiet, dbt_vars=dbt_vars), **places)

    def __enter__(self) -> RunContext:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @property
    def warehouse(self) -> Warehouse:
        """One connection for the run, opened on first use (the profile is rendered once)."""
        if self._warehouse is None:
            self._warehouse = connect(self.project)
        return self._warehouse

    def release_warehouse(self) -> None:
        """Close the connection, e.g. before dbt opens the same DuckDB file."""
        if self._warehouse is not None:
            self._warehouse.close()
            self._warehouse = None

    def invoke(self, command: Sequence[str], extra: Sequence[str] = ()) -> Any:
        """Run a dbt command; artifacts it rewrites are read again when next asked for."""
        self.release_warehouse()
        self._artifacts = None
        self.__dict__.pop("datasets", None)
        return self.session.invoke(command, extra)

    @property
    def artifacts(self) -> Artifacts:
        """manifest.json, catalog.json and run_results.json as the last dbt command left them, read once."""
        if self._artifacts is None:
            self._artifacts = Artifacts.read(self.project.target_dir)
            self.artifact_reads += 1
        return self._artifacts

    def use_artifacts(self, artifacts: Artifacts) -> None:
        """Artifacts read (and checked) by the caller, e.g. the export's freshness checks."""
        self._artifacts = artifacts
        self.__dict__.pop("datasets", None)

    @property
    def manifest(self) -> dict[str, Any]:
        return self.artifacts.manifest

    @cached_property
    def datasets(self) -> list[Dataset]:
        """Every published dataset version the manifest describes."""
        return published_datasets(self.manifest)

    def close(self) -> None:
        self.release_warehouse()
