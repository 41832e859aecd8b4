"""``dataprodukt check``: every convention check over one compiled manifest, every violation reported."""

from __future__ import annotations

import argparse
from typing import Any

from dataprodukt import commands


def register(verbs: Any) -> None:
    parser = verbs.add_parser("check", help="run every convention check and report every violation")
    commands.add_target(parser)
    parser.add_argument("--only", action="append", default=[], help="run only this check (repeatable)")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from dataprodukt.checks.runner import run_checks

    return run_checks(commands.project(args), only=args.only)
