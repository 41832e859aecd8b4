"""`make bench`: every benchmark, one after the other, as a table and a JSON file (build/bench/results.json).

P1  the example pipeline on DuckDB at 10 M rows: `dbt build` against an independent hand-written floor (the same
    outputs and checks in one process, benchmarks/floor/; goal <= 1.25x, peak memory <= 1.25x)
P2  a history run with 1 % changed rows against the initial history build, DuckDB (goal <= 0.2x): a source that
    delivers its changes; "P2 full" the same with full extracts (every key in every batch), for comparison
P3  the Datadoc export of 1,000 and 2,000 synthetic models (goal < 2 s at 1,000; ratio <= 2.2)
P4  the main job on a warm virtualenv at the default size (goal < 60 s), with its split
P5  P1 (against the same floor written for PostgreSQL) and P2 on PostgreSQL
P6  version decisions: classifying every change to the example's published versions (goal < 1 s), and the data
    diff of two 10 M-row versions on DuckDB against one scan of both tables (goal <= 3x)

Sizes can be lowered for a quick look (--rows, --pg-rows); the figures in BENCHMARKS.md use the defaults.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
OUT = REPO / "build" / "bench"


def run(script: str, *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    out = OUT / f"{Path(script).stem}-{abs(hash(args)) % 10_000}.json"
    command = [sys.executable, str(REPO / "benchmarks" / script), *args, "--out", str(out)]
    print("$", " ".join(command), flush=True)
    subprocess.run(command, cwd=REPO, env=env, check=True)
    result: dict[str, Any] = json.loads(out.read_text())
    return result


def postgres_env() -> dict[str, str]:
    import os

    from tests.support import postgres

    server = postgres.ensure_server(REPO / "build" / "postgres")
    database = postgres.create_database(server, "dataprodukt_bench")
    return {**os.environ, **server.env(database)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--pg-rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip", action="append", default=[], help="P1..P6 to leave out")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    repeat = str(args.repeat)
    results: dict[str, Any] = {
        "machine": {
            "cpus": __import__("os").cpu_count(),
            "python": platform.python_version(),
            "system": platform.platform(),
        }
    }
    if "P1" not in args.skip:
        results["P1"] = run("pipeline_vs_sql.py", "--target", "duckdb", "--rows", str(args.rows), "--repeat", repeat)
    if "P2" not in args.skip:
        results["P2"] = run("bench_history.py", "--rows", str(args.rows), "--repeat", repeat)
        results["P2 full"] = run("bench_history.py", "--rows", str(args.rows), "--repeat", repeat, "--source", "full")
    if "P3" not in args.skip:
        results["P3"] = run("bench_export.py", "--sizes", "1000", "2000", "--repeat", repeat)
    if "P4" not in args.skip:
        results["P4"] = run("main_job.py", "--repeat", repeat)
    if "P5" not in args.skip:
        env = postgres_env()
        results["P5"] = {
            "P1": run(
                "pipeline_vs_sql.py", "--target", "postgres", "--rows", str(args.pg_rows), "--repeat", repeat, env=env
            ),
            "P2": run(
                "bench_history.py", "--target", "postgres", "--rows", str(args.pg_rows), "--repeat", repeat, env=env
            ),
            "P2 full": run(
                "bench_history.py",
                *("--target", "postgres", "--rows", str(args.pg_rows), "--repeat", repeat, "--source", "full"),
                env=env,
            ),
        }
    if "P6" not in args.skip:
        results["P6"] = run("bench_versions.py", "--rows", str(args.rows), "--repeat", repeat)
    (OUT / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    print(f"figures written to {OUT / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
