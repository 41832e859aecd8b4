"""The benchmarks run as shipped: a benchmark that breaks when the project changes says nothing on the day it is run.
Tiny sizes, so only that they run and what they check is asserted, never their times."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_archive_benchmark_records_a_small_archive_both_ways_with_identical_history(tmp_path: Path) -> None:
    out = tmp_path / "p7.json"
    result = subprocess.run(
        [sys.executable, "benchmarks/bench_deliveries.py", "--rows", "2000", "--deliveries", "3", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    figures = json.loads(out.read_text(encoding="utf-8"))
    assert figures["identical"] is True
    # 2,000 keys, 2 new per delivery; 16 keys change per delivery (every 125th), 2 are deleted
    assert figures["history_rows"] > 2000
    assert figures["archive_seconds"] > 0 and figures["one_by_one_seconds"] > 0 and figures["parse_floor_seconds"] > 0
    assert "3 delivery(ies) loaded and recorded in history" in result.stdout
