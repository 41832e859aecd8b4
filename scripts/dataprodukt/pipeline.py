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
from dataprodukt.core import pseudonym_key
from dataprodukt.core.context import Progress, RunContext
from dataprodukt.core.project import Project
from dataprodukt.core.provenance import now
from dataprodukt.core.storage import require_bucket
from dataprodukt.datadoc import exporter as datadoc_export
from dataprodukt.datadoc import remote_catalogs
from dataprodukt.load import example_extracts
from dataprodukt.load.replay import declared_tables, replay
from dataprodukt.publish import code_check, publication
from dataprodukt.publish.fingerprints import node_codes
from dataprodukt.publish.new_version import Written, write_new_versions
from dataprodukt.publish.register import Register
from dataprodukt.rules.identity import Dataset
from dataprodukt.runlog import freshness, writer

Step = tuple[str, Callable[[RunContext], object]]
PUBLISH_STEP = "publish: record, data files, register, latest alias"


def _publish(context: RunContext) -> publication.Outcome:
    """The publish step; a version published with a change note (a correction) has its document exported again,
    now that its record holds the note (Datadoc's version_description)."""
    outcome = publication.step(context)
    if outcome.noted:
        context.progress.step(f"export metadata again: the change note of {', '.join(outcome.noted)}")
        datadoc_export.step(context)
    return outcome


# Publishing, in the order a reader may see its files: metadata before data (docs/versions.md)
PUBLICATION_STEPS: list[Step] = [
    # a changed published version stops the job before anything is written
    ("published versions unchanged", publication.check_step),
    ("export metadata (Datadoc)", datadoc_export.step),
    (PUBLISH_STEP, _publish),
]
# Steps after the build, in order; each takes the run's context.
POST_BUILD_STEPS: list[Step] = [
    # personal data must not reach an open table: checked before anything is published
    ("privacy check", privacy_check.step),
    *PUBLICATION_STEPS,
    ("catalog page", catalog_site.step),
    # only where vars catalogs configures a sink
    ("remote catalogs", remote_catalogs.step),
]


def run(
    project: Project,
    rows: int = 20_000,
    batches: int = 3,
    full_refresh: bool = False,
    dbt_vars: str = "",
    generate: bool = True,
) -> Progress:
    """The README's first command: the data product end to end on the chosen target. Synthetic extracts are made
    only for the example (its var ``synthetic_extracts``), never with ``generate=False`` and never on a production
    target (bigquery)."""
    progress = Progress()
    progress.step(f"target {project.target}, project {project.root}")
    started = now()
    with RunContext.open(project, dbt_vars=dbt_vars, progress=progress) as context:
        # fail fast, before any work: production without a bucket, a bad profile or an unreachable warehouse
        require_bucket(project, context.storage)
        context.warehouse  # noqa: B018
        error: BaseException | None = None
        try:
            _run_steps(context, rows, batches, full_refresh, generate)
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


def generates(project: Project, asked: bool) -> bool:
    """Whether the run may make the example's synthetic extracts: when asked, and never on a production target (the
    generator's batches replace the raw tables a source system delivered)."""
    return asked and not project.is_production


def _run_steps(context: RunContext, rows: int, batches: int, full_refresh: bool, generate: bool) -> None:
    progress = context.progress
    progress.step("dbt parse")
    with progress.timer("dbt parse"):
        context.session.parse()
    if generate and not generates(context.project, generate):
        progress.step(f"target {context.project.target} is production: no synthetic extracts are generated")
    if generates(context.project, generate) and example_extracts.wanted(context.project):
        example_extracts.ensure_raw_data(context.project, rows, batches, progress)
    tables = declared_tables(context)
    if tables:
        replay(context, tables)
    else:
        progress.step("no source declares where its extracts come from: nothing to load (`dataprodukt add-source`)")
    _check_published_code(context)
    _load_key(context)
    progress.step("dbt build: seeds, models, snapshots and tests")
    with progress.timer("dbt"):
        context.invoke(["build"], ["--full-refresh"] if full_refresh else [])
    progress.step("dbt source freshness")
    with progress.timer("dbt source freshness"):
        freshness.check(context)
    outcome = _document_and_publish(context)
    # a model whose meta asks for it gets a new version when its published data was corrected upstream
    wanted = outcome.wanting_new_versions([], node_codes(context.manifest)) if outcome else []
    if wanted:
        new_versions(context, wanted)


def _check_published_code(context: RunContext) -> None:
    """Changes to published versions, classified before the build (publish/code_check.py)."""
    context.progress.step("published versions: classify code changes")
    with context.progress.timer("versions"):
        code_check.before_build(context, publication.publication_schema(context.project.variables))


def _load_key(context: RunContext) -> None:
    """The queries read the key when they run: into the key table before dbt builds (never into SQL text)."""
    users = context.session.macro_users("pseudonymize")
    if users:
        schema = pseudonym_key.key_table(context.project).schema
        context.progress.step(f"pseudonymisation key into {schema} (bulk load)")
        pseudonym_key.load(context.warehouse, context.project, users)


def _document_and_publish(context: RunContext) -> publication.Outcome | None:
    """dbt docs generate, then every post-build step; returns what the publish step did."""
    progress = context.progress
    progress.step("dbt docs generate")
    with progress.timer("dbt"):
        context.invoke(["docs", "generate"])
    return run_steps(context, POST_BUILD_STEPS)


def run_steps(context: RunContext, steps: list[Step]) -> publication.Outcome | None:
    """Run the steps in order, each timed; returns what the publish step did (None when it is not among them)."""
    progress = context.progress
    outcome = None
    for name, step in steps:
        progress.step(name)
        with progress.timer(name):
            result = step(context)
        if name == PUBLISH_STEP and isinstance(result, publication.Outcome):
            outcome = result
    return outcome


def new_versions(context: RunContext, datasets: list[Dataset]) -> list[Written]:
    """Supersede published versions whose data was corrected: write each new version's files (publish/new_version.py),
    then classify, build them (and what reads them), document and publish, as the main job does."""
    progress = context.progress
    schema = publication.publication_schema(context.project.variables)
    relations = {
        (record.relation_schema, record.relation_name) for record in Register(context.warehouse, schema).records()
    }
    published = [dataset for dataset in context.datasets if dataset.is_stable and dataset.relation[1:] in relations]
    written = write_new_versions(context.project.root, datasets, published)
    for item in written:
        for line in item.lines(context.project.root):
            progress.step(f"new version: {line}")
    context.invoke(["parse"])
    _check_published_code(context)
    _load_key(context)
    selectors = [f"path:{item.sql.relative_to(context.project.root).as_posix()}+" for item in written]
    progress.step("dbt build: the new versions and what reads them")
    with progress.timer("dbt"):
        context.invoke(["build", "--select", *selectors])
    _document_and_publish(context)
    return written
