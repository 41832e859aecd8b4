"""`dataprodukt publish`: export built datasets to storage, register them, move the latest alias."""

from __future__ import annotations

import argparse
from typing import Any

from dataprodukt import commands


def handle(args: argparse.Namespace) -> int:
    from dataprodukt.core.context import RunContext
    from dataprodukt.publish.publication import publish

    with RunContext.open(commands.project(args)) as context:
        publish(context)
    return 0


def register(verbs: Any) -> None:
    parser = verbs.add_parser(
        "publish",
        help="publish the built datasets: parquet files in storage, the register, the latest alias (never rewrites)",
    )
    commands.add_target(parser)
    parser.set_defaults(handler=handle)
