"""``dataprodukt clean``: remove build/ and target/ (the warehouse of another target is left alone)."""

from __future__ import annotations

import argparse
import shutil
from typing import Any

from dataprodukt import commands


def register(verbs: Any) -> None:
    parser = verbs.add_parser("clean", help="remove build/ (raw files, DuckDB file, exports) and target/")
    commands.add_target(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    project = commands.project(args)
    for folder in (project.build_dir, project.target_dir):
        if folder.exists():
            shutil.rmtree(folder)
            print(f"removed {folder}")
    if project.target != "duckdb":
        print(f"target {project.target}: the warehouse's schemas are left as they are (drop them there if you mean to)")
    return 0
