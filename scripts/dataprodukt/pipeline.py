"""The main job: load the raw extracts, replay them through history, build, check, publish, document, log.

Each step after the build takes the run's context (project, dbt session, storage, one warehouse connection and
dbt's artifacts, read once) and is listed in ``POST_BUILD_STEPS`` in the order it runs.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable

from dataprodukt.catalog import site as catalog_site
from dataprodukt.checks import privacy as privacy_check
from dataprodukt.core.context import Progress, RunContext
from dataprodukt.core.project import Project
from dataprodukt.core.provenance import now
from dataprodukt.datadoc import exporter as datadoc_export
from dataprodukt.datadoc import remote_catalogs
from dataprodukt.load import generator, loader
from dataprodukt.load.replay import replay
from dataprodukt.publish import publication
from dataprodukt.runlog import freshness, writer

# Steps after the build, in order; each takes the run's context.
POST_BUILD_STEPS: list[tuple[str, Callable[[RunContext], object]]] = [
    # personal data must not reach an open table: checked before anything is published
    ("privacy check", privacy_check.step),
    ("publish: export, register, latest alias", publication.step),
    ("export metadata (Datadoc)", datadoc_export.step),
    ("catalog page", catalog_site.step),
    # only where vars catalogs configures a sink
    ("remote catalogs", remote_catalogs.step),
]


def run(
    project: Project, rows: int = 20_000, batches: int = 3, full_refresh: bool = False, dbt_vars: str = ""
) -> Progress:
    """The README's first command: the data product end to end on the chosen target."""
    progress = Progress()
    progress.step(f"target {project.target}, project {project.root}")
    started = now()
    with RunContext.open(project, dbt_vars=dbt_vars, progress=progress) as context:
        # fail fast, before any work, on a bad profile or an unreachable warehouse
        context.warehouse  # noqa: B018
        error: BaseException | None = None
        try:
            _run_steps(context, rows, batches, full_refresh)
        except BaseException as failure:
            error = failure
            raise
        finally:
            # every run is logged in the warehouse, failed ones too (dataprodukt status reads the log)
            writer.record_run(context, command="run", started_at=started, error=error)
    progress.step("done: " + ", ".join(f"{name} {seconds:.1f}s" for name, seconds in progress.timings.items()))
    timings = {**progress.timings, "total": time.monotonic() - progress.started}
    (project.build_dir / "timings.json").write_text(json.dumps(timings, indent=2) + "\n", encoding="utf-8")
    sys.stdout.flush()
    return progress


def _run_steps(context: RunContext, rows: int, batches: int, full_refresh: bool) -> None:
    progress = context.progress
    progress.step("dbt parse")
    with progress.timer("dbt parse"):
        context.session.parse()
    if loader.declared_raw_tables(context.session.parsed_sources()):
        folders = generator.ensure_raw_data(context.project, rows, batches, progress)
        replay(context, folders)
    else:
        progress.step(
            f"no sources declared in schema '{loader.RAW_SCHEMA}': nothing to load "
            "(add one with `dataprodukt scaffold SOURCE TABLE`)"
        )
    progress.step("dbt build: seeds, models, snapshots and tests")
    with progress.timer("dbt"):
        context.invoke(["build"], ["--full-refresh"] if full_refresh else [])
    progress.step("dbt source freshness")
    with progress.timer("dbt source freshness"):
        freshness.check(context)
    progress.step("dbt docs generate")
    with progress.timer("dbt"):
        context.invoke(["docs", "generate"])
    for name, step in POST_BUILD_STEPS:
        progress.step(name)
        with progress.timer(name):
            step(context)
