"""``dataprodukt load``: load raw batches not yet in history, recording each with a snapshot run."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from dataprodukt import commands
from dataprodukt.core.errors import UserError


def register(verbs: Any) -> None:
    parser = verbs.add_parser("load", help="load raw batches not yet in history, recording each with a snapshot")
    commands.add_target(parser)
    parser.add_argument("--batch", action="append", default=[], help="a batch folder (repeatable; default all)")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from dataprodukt.core.context import RunContext
    from dataprodukt.load import generator
    from dataprodukt.load.replay import replay

    project = commands.project(args)
    folders = [Path(folder).resolve() for folder in args.batch] or generator.list_batches(project.raw_dir)
    if not folders:
        raise UserError(f"no batch folders in {project.raw_dir}: run `dataprodukt generate` or pass --batch FOLDER")
    with RunContext.open(project) as context:
        context.session.parse()
        loaded = replay(context, folders)
        context.progress.step(f"{loaded} batch(es) loaded and recorded in history")
    return 0
