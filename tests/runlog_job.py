"""The main job with the run log wired in, for the run-log and catalog tests.

Once ``pipeline.run`` records its runs itself (``runlog.record_run`` in a ``finally``), the tests run
``dataprodukt run``; until then they run this script, which does the same steps in the same order.
"""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

from dataprodukt import pipeline

SCRIPT = """
import sys
from dataprodukt import pipeline
from dataprodukt.catalog import site as catalog_site
from dataprodukt.runlog import writer as runlog
from dataprodukt.core.dbt_session import DbtSession
from dataprodukt.core.project import Project

project = Project.discover(target=sys.argv[1])
progress = pipeline.Progress()
started = runlog.now()
session = DbtSession(project)
error = None
try:
    folders = pipeline.ensure_raw_data(project, int(sys.argv[2]), int(sys.argv[3]), progress)
    session.parse()
    pipeline.replay(project, session, folders, progress)
    session.invoke(["build"])
    session.invoke(["docs", "generate"])
    runlog.check_freshness(project, session)
    catalog_site.step(project, session)
except BaseException as failure:
    error = failure
    print(f"dataprodukt run: error: {failure}", file=sys.stderr)
    sys.exit(2)
finally:
    runlog.record_run(project, session, command="run", started_at=started, error=error)
"""


def pipeline_records_runs() -> bool:
    return "record_run" in inspect.getsource(pipeline)


def run_job(
    project: Path, target: str, env: dict[str, str], rows: int = 2000, batches: int = 1
) -> subprocess.CompletedProcess[str]:
    """Run the main job in its own process as a user would; never raises on failure (the caller asserts)."""
    if pipeline_records_runs():
        command = [sys.executable, "-m", "dataprodukt.cli", "run", "--target", target]
        command += ["--rows", str(rows), "--batches", str(batches)]
    else:
        command = [sys.executable, "-c", SCRIPT, target, str(rows), str(batches)]
    return subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, timeout=900, check=False)
