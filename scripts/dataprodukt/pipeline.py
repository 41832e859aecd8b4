"""The main job: generate (if needed) and load the raw extracts, replay them through history, build, document."""

from __future__ import annotations

import json
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dataprodukt.catalog import site as catalog_site
from dataprodukt.checks import privacy as privacy_check
from dataprodukt.core.dbt_session import DbtSession
from dataprodukt.core.errors import UserError
from dataprodukt.core.project import Project
from dataprodukt.core.warehouse import connected
from dataprodukt.datadoc import exporter as datadoc_export
from dataprodukt.load import generator, loader
from dataprodukt.publish import publication as publish
from dataprodukt.runlog import writer as runlog

GENERATOR_SETTINGS = "generator.json"


@dataclass
class Progress:
    """Prints one line per step with the time since the job started."""

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


def ensure_raw_data(project: Project, rows: int, batches: int, progress: Progress) -> list[Path]:
    """Generate the example's raw extracts unless the same ones are already on disk."""
    settings = {"rows": rows, "batches": batches, "seed": 20240101}
    marker = project.raw_dir / GENERATOR_SETTINGS
    existing = generator.list_batches(project.raw_dir)
    if existing and marker.is_file() and json.loads(marker.read_text(encoding="utf-8")) == settings:
        progress.step(f"raw extracts already in {project.raw_dir} ({len(existing)} batches, {rows} certificates)")
        return existing
    progress.step(f"generating raw extracts: {rows} certificates, {batches} change batches -> {project.raw_dir}")
    if project.raw_dir.exists():
        shutil.rmtree(project.raw_dir)
    with progress.timer("generate"):
        generator.generate(project.raw_dir, rows=rows, batches=batches, seed=settings["seed"])
    marker.write_text(json.dumps(settings) + "\n", encoding="utf-8")
    return generator.list_batches(project.raw_dir)


def replay(project: Project, session: DbtSession, folders: list[Path], progress: Progress) -> int:
    """Load each batch not yet in history and record it with a snapshot run; return how many were loaded."""
    tables = loader.declared_raw_tables(session.manifest_json())
    if not tables:
        raise UserError(
            f"no source tables with schema '{loader.RAW_SCHEMA}' are declared under models/: nothing to load"
        )
    with connected(project) as warehouse:
        done = loader.loaded_batches(warehouse)
    pending = loader.prepare_batches(folders, tables, done)
    if not pending:
        progress.step("history already holds every batch: nothing to load")
        return 0
    staging_ready = False
    for batch in pending:
        with connected(project) as warehouse, progress.timer("load"):
            rows = loader.load(warehouse, batch)
        counts = ", ".join(f"{name} {count}" for name, count in sorted(rows.items()))
        progress.step(f"loaded {batch.name} into {loader.RAW_SCHEMA}: {counts}")
        if not staging_ready:
            with progress.timer("dbt"):
                session.invoke(["run", "--select", "path:models/staging"])
            staging_ready = True
        progress.step(f"recording {batch.name} in history (dbt snapshot)")
        with progress.timer("dbt"):
            session.invoke(["snapshot"])
        with connected(project) as warehouse:
            loader.record(warehouse, batch, rows)
    return len(pending)


def run(
    project: Project, rows: int = 20_000, batches: int = 3, full_refresh: bool = False, dbt_vars: str = ""
) -> Progress:
    """The README's first command: the example data product end to end on the chosen target."""
    progress = Progress()
    progress.step(f"target {project.target}, project {project.root}")
    # fail fast, before any work, on a bad profile or an unreachable warehouse
    with connected(project):
        pass
    started = runlog.now()
    session = DbtSession(project, dbt_vars=dbt_vars)
    error: BaseException | None = None
    try:
        _run_steps(project, session, progress, rows, batches, full_refresh)
    except BaseException as failure:
        error = failure
        raise
    finally:
        # every run is logged in the warehouse, failed ones too (dataprodukt status reads the log)
        runlog.record_run(project, session, command="run", started_at=started, error=error)
    progress.step("done: " + ", ".join(f"{name} {seconds:.1f}s" for name, seconds in progress.timings.items()))
    timings = {**progress.timings, "total": time.monotonic() - progress.started}
    (project.build_dir / "timings.json").write_text(json.dumps(timings, indent=2) + "\n", encoding="utf-8")
    sys.stdout.flush()
    return progress


def _run_steps(
    project: Project, session: DbtSession, progress: Progress, rows: int, batches: int, full_refresh: bool
) -> None:
    progress.step("dbt parse")
    with progress.timer("dbt parse"):
        session.parse()
    if loader.declared_raw_tables(session.manifest_json()):
        folders = ensure_raw_data(project, rows, batches, progress)
        replay(project, session, folders, progress)
    else:
        progress.step(
            f"no sources declared in schema '{loader.RAW_SCHEMA}': nothing to load "
            "(add one with `dataprodukt scaffold SOURCE TABLE`)"
        )
    progress.step("dbt build: seeds, models, snapshots and tests")
    extra = ["--full-refresh"] if full_refresh else []
    with progress.timer("dbt"):
        session.invoke(["build"], extra)
    progress.step("dbt docs generate")
    with progress.timer("dbt"):
        session.invoke(["docs", "generate"])
    for name, step in POST_BUILD_STEPS:
        progress.step(name)
        with progress.timer(name):
            step(project, session)


# Steps after the build, in order; each takes (project, session).
POST_BUILD_STEPS: list[tuple[str, Callable[[Project, DbtSession], Any]]] = [
    # personal data must not reach an open table: checked before anything is published
    ("privacy check", privacy_check.step),
    ("publish: export, register, latest alias", publish.publish),
    ("export metadata (Datadoc)", datadoc_export.step),
    ("catalog page", catalog_site.step),
    ("dbt source freshness", runlog.check_freshness),
]
