"""The main job as a user runs it, for the run-log and catalog tests: ``dataprodukt run`` in its own process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def run_job(
    project: Path, target: str, env: dict[str, str], rows: int = 2000, batches: int = 1
) -> subprocess.CompletedProcess[str]:
    """Run the main job in its own process; never raises on failure (the caller asserts)."""
    command = [sys.executable, "-m", "dataprodukt.cli", "run", "--target", target]
    command += ["--rows", str(rows), "--batches", str(batches)]
    return subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, timeout=900, check=False)
