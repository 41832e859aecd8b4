"""P4: the main job (`dataprodukt run`, what `make run` runs) on a warm virtualenv at the default size.

Each run starts from an empty build folder in a fresh copy of the project, as a newcomer's first `make run` does
(the virtualenv is already installed). The split comes from the job's own timings (build/timings.json):
Python start-up = wall time outside the job's clock; dbt parse; dbt execution (SQL and dbt's per-node work);
loading; generating the raw data; the post-build steps (publication, metadata export, catalog page, ...).

Usage: python benchmarks/main_job.py --repeat 3 --out build/bench/p4.json
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.conftest import copy_project  # noqa: E402


def one_run(workdir: Path, index: int) -> dict[str, float]:
    root = workdir / f"p4-{index}"
    shutil.rmtree(root, ignore_errors=True)
    copy_project(root)
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "False"}
    started = time.perf_counter()
    result = subprocess.run(
        [str(Path(sys.executable).parent / "dataprodukt"), "run"], cwd=root, env=env, capture_output=True, text=True
    )
    wall = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"dataprodukt run failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
    timings: dict[str, float] = json.loads((root / "build" / "timings.json").read_text())
    split = {"wall": wall, "python start-up": wall - timings.pop("total")}
    split.update(timings)
    return split


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", default=str(REPO / "build" / "bench"))
    parser.add_argument("--out")
    args = parser.parse_args()
    runs = [one_run(Path(args.workdir), index) for index in range(args.repeat)]
    keys = list(dict.fromkeys(key for run in runs for key in run))
    result: dict[str, Any] = {
        "runs": args.repeat,
        "seconds": {
            key: {
                "median": statistics.median(run.get(key, 0.0) for run in runs),
                "min": min(run.get(key, 0.0) for run in runs),
                "max": max(run.get(key, 0.0) for run in runs),
            }
            for key in keys
        },
    }
    print(json.dumps(result, indent=2))
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
