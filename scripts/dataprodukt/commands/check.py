"""``dataprodukt check``: every convention check over one compiled manifest, every violation reported."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from dataprodukt import commands


def register(verbs: Any) -> None:
    parser = verbs.add_parser("check", help="run every convention check and report every violation")
    commands.add_target(parser)
    parser.add_argument("--only", action="append", default=[], help="run only this check (repeatable)")
    parser.add_argument(
        "--state",
        type=Path,
        default=None,
        help="a folder with a publication's manifest.json to compare published versions with (default: the one in "
        "storage)",
    )
    parser.add_argument(
        "--vars",
        default="",
        help="dbt vars to compile with, as the run being checked had them, e.g. '{period_from: 2024-Q3, period_to: "
        "2024-Q3}'",
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from dataprodukt.checks.runner import run_checks

    state = args.state.resolve() if args.state else None
    return run_checks(commands.project(args), only=args.only, state=state, dbt_vars=args.vars)
