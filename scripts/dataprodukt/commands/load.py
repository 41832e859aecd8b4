"""``dataprodukt load``: record the deliveries not yet in history, oldest first (or a whole dated archive)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from dataprodukt import commands
from dataprodukt.core.errors import UserError


def register(verbs: Any) -> None:
    parser = verbs.add_parser(
        "load", help="record the deliveries not yet in history, oldest first, each at its delivery time"
    )
    commands.add_target(parser)
    parser.add_argument(
        "--batch",
        action="append",
        default=[],
        help="a delivery folder to load (repeatable; default: every delivery of every source)",
    )
    parser.add_argument(
        "--from",
        dest="archive",
        type=Path,
        help="an archive: a folder with one subfolder per dated delivery (2024-03-31, or a delivery.json), "
        "recorded in order in one pass; a load that stopped resumes",
    )
    parser.add_argument(
        "--one-by-one", action="store_true", help="with --from: one history run per delivery instead of one pass"
    )
    parser.add_argument(
        "--allow-deletions",
        action="append",
        default=[],
        metavar="HISTORY",
        help="confirm that the deliveries of this load may delete more of HISTORY's keys than its "
        "meta.max_deleted_share (repeatable)",
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from dataprodukt.core.context import RunContext
    from dataprodukt.load.archive import load_archive
    from dataprodukt.load.replay import declared_tables, replay

    if args.archive is not None and args.batch:
        raise UserError("give either --from ARCHIVE or --batch FOLDER, not both")
    if args.one_by_one and args.archive is None:
        raise UserError("--one-by-one goes with --from ARCHIVE (--batch folders are recorded one by one already)")
    # paths as the user wrote them, from where the command was started (project() moves to the project's root)
    archive = args.archive.resolve() if args.archive is not None else None
    batches = [Path(folder).resolve() for folder in args.batch]
    project = commands.project(args)
    with RunContext.open(project) as context:
        context.session.parse()
        if archive is not None:
            loaded = load_archive(context, archive, args.allow_deletions, one_by_one=args.one_by_one)
        else:
            loaded = replay(context, declared_tables(context), batches or None, args.allow_deletions)
        context.progress.step(f"{loaded} delivery(ies) loaded and recorded in history")
    return 0
