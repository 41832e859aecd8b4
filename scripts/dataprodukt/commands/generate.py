"""``dataprodukt generate``: the example's synthetic raw extracts, written as source systems deliver them."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from dataprodukt import commands


def register(verbs: Any) -> None:
    parser = verbs.add_parser("generate", help="write the example's synthetic raw extracts (CSV)")
    commands.add_target(parser)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--batches", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20240101)
    parser.add_argument("--out", help="folder to write to (default build/raw)")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from dataprodukt.load import example_extracts

    out = Path(args.out) if args.out else commands.project(args).raw_dir
    for summary in example_extracts.write_example(out, rows=args.rows, batches=args.batches, seed=args.seed):
        print(f"batch {summary.batch:03d} ({summary.extracted_at}): {summary.rows} changes {summary.changes}")
    return 0
