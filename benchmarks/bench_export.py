"""Benchmark of the Datadoc export on synthetic dbt artifacts (1,000 and 2,000 published models).

Times the whole export (describe, validate, write sidecars, catalog folder, index, data package) into a fresh
folder under build/bench: the first run (every file new) and a re-run (nothing changes), wall clock and CPU
time of this process (the machine may be shared), and describe + validate alone (no file system); sizes
interleaved, best of --repeat. Prints a table and writes JSON.

    .venv/bin/python benchmarks/bench_export.py [--sizes 1000 2000] [--repeat 3] [--out build/bench_export.json]

Goal: under 2 s at 1,000 models, and 2,000 takes at most 2.2 times as long.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import synthetic_artifacts as synthetic
from dataprodukt.core.artifacts import Artifacts
from dataprodukt.core.storage import Storage
from dataprodukt.datadoc.exporter import build_documents, describe_all, export
from dataprodukt.datadoc.stamps import History


def calibration() -> float:
    """Seconds for a fixed piece of pure-Python work: how slow the machine is right now (shared machines vary)."""
    started = time.perf_counter()
    total = 0
    for number in range(2_000_000):
        total += number
    return time.perf_counter() - started


def measure_once(artifacts: Artifacts, where: Path) -> dict[str, float]:
    """One first run, one re-run and one describe + validate pass, in a fresh folder."""
    where.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="bench-export-", dir=where))
    try:
        started, cpu = time.perf_counter(), time.process_time()
        storage, catalog = Storage(str(folder / "storage"), "gs://bench"), Storage(str(folder / "catalog"))
        result = export(folder, artifacts, storage, catalog)
        first, first_cpu = time.perf_counter() - started, time.process_time() - cpu
        started = time.perf_counter()
        again = export(folder, artifacts, storage, catalog)
        rerun = time.perf_counter() - started
        assert again.changed_files == 0, "a re-export changed files"
        # describe + validate only (no file system), with the collector paused as the export does
        gc.disable()
        started = time.perf_counter()
        nowhere = Storage(str(folder / "none"))
        build_documents(describe_all(artifacts, "gs://bench"), nowhere, nowhere, History(folder))
        derive = time.perf_counter() - started
        gc.enable()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {
        "documents": len(result.documents),
        "first_s": first,
        "first_cpu_s": first_cpu,
        "rerun_s": rerun,
        "validate_only_s": derive,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 2000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("build/bench_export.json"))
    parser.add_argument(
        "--dir", type=Path, default=Path("build/bench"), help="where the files are written (a real disk, not tmpfs)"
    )
    args = parser.parse_args()
    # sizes interleaved within each repetition, so a shared machine's load weighs on every size alike; the table
    # shows the median of the repetitions, and the JSON keeps min and max too
    inputs = {size: synthetic.artifacts(size) for size in args.sizes}
    runs: dict[int, list[dict[str, float]]] = {size: [] for size in args.sizes}
    calibrations = []
    for _ in range(args.repeat):
        calibrations.append(calibration())
        for size in args.sizes:
            runs[size].append(measure_once(inputs[size], args.dir))
    rows: list[dict[str, float]] = []
    for size in args.sizes:
        median = {key: statistics.median(run[key] for run in runs[size]) for key in runs[size][0]}
        spread = {
            f"{key}_min": min(run[key] for run in runs[size]) for key in ("first_s", "rerun_s", "validate_only_s")
        }
        spread.update(
            {f"{key}_max": max(run[key] for run in runs[size]) for key in ("first_s", "rerun_s", "validate_only_s")}
        )
        rows.append({"models": size, **median, **spread, "calibration_s": round(min(calibrations), 3)})
    print(
        f"{'models':>8} {'documents':>10} {'first run s':>12} {'cpu s':>10} {'re-run s':>10} {'validate s':>11} "
        f"{'ms/model':>9} {'calibration s':>14}"
    )
    for row in rows:
        per_model = 1000 * row["first_s"] / row["models"]
        print(
            f"{row['models']:>8.0f} {row['documents']:>10.0f} {row['first_s']:>12.3f} {row['first_cpu_s']:>10.3f} "
            f"{row['rerun_s']:>10.3f} {row['validate_only_s']:>11.3f} {per_model:>9.2f} {row['calibration_s']:>14.3f}"
        )
    for row in rows:
        print(
            f"  {row['models']:.0f} models, first run: min {row['first_s_min']:.3f} s, max {row['first_s_max']:.3f} s"
        )
    ratio = rows[-1]["first_s"] / rows[0]["first_s"] if len(rows) > 1 else 1.0
    print(f"ratio {rows[-1]['models']:.0f}/{rows[0]['models']:.0f}: {ratio:.2f} (medians of the first run, wall clock)")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    print(f"load average while measuring: {load:.1f} on {os.cpu_count()} cores" if load is not None else "")
    report = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cores": os.cpu_count(),
        "load_average": load,
        "runs": rows,
        "ratio": ratio,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
