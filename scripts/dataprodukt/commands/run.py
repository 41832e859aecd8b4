"""``dataprodukt run``: the main job (load, history, build, check, publish, document, log)."""

from __future__ import annotations

import argparse
from typing import Any

from dataprodukt import commands


def register(verbs: Any) -> None:
    parser = verbs.add_parser("run", help="the main job: generate and load data, replay history, build, test, document")
    commands.add_target(parser)
    parser.add_argument("--rows", type=int, default=20_000, help="certificate rows in the example data (default 20000)")
    parser.add_argument("--batches", type=int, default=3, help="change batches after the first extract (default 3)")
    parser.add_argument("--full-refresh", action="store_true", help="rebuild tables (history is never rebuilt)")
    parser.add_argument(
        "--no-generate",
        action="store_true",
        help="never generate the example's synthetic extracts (production): load only batches already in build/raw, "
        "else build from the raw tables as they are",
    )
    parser.add_argument(
        "--vars", default="", help="dbt vars for every step, e.g. '{period_from: 2024-Q2, period_to: 2024-Q2}'"
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from dataprodukt import pipeline

    pipeline.run(
        commands.project(args),
        rows=args.rows,
        batches=args.batches,
        full_refresh=args.full_refresh,
        dbt_vars=args.vars,
        generate=not args.no_generate,
    )
    return 0
