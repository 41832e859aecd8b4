"""dataprodukt: the one command-line entry point, with verbs that follow the analyst's journey."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from dataprodukt import commands
from dataprodukt.core.errors import UserError

Handler = Callable[[argparse.Namespace], int]


_project = commands.project
_add_target = commands.add_target


def _cmd_run(args: argparse.Namespace) -> int:
    from dataprodukt import pipeline

    pipeline.run(
        _project(args), rows=args.rows, batches=args.batches, full_refresh=args.full_refresh, dbt_vars=args.vars
    )
    return 0


def _cmd_generate(args: argparse.Namespace) -> int:
    from dataprodukt.load import generator

    out = Path(args.out) if args.out else _project(args).raw_dir
    for summary in generator.generate(out, rows=args.rows, batches=args.batches, seed=args.seed):
        print(f"batch {summary.batch:03d} ({summary.extracted_at}): {summary.rows} changes {summary.changes}")
    return 0


def _cmd_load(args: argparse.Namespace) -> int:
    from dataprodukt import pipeline
    from dataprodukt.core.dbt_session import DbtSession
    from dataprodukt.load import generator

    project = _project(args)
    folders = [Path(folder).resolve() for folder in args.batch] or generator.list_batches(project.raw_dir)
    if not folders:
        raise UserError(f"no batch folders in {project.raw_dir}: run `dataprodukt generate` or pass --batch FOLDER")
    session = DbtSession(project)
    session.parse()
    progress = pipeline.Progress()
    loaded = pipeline.replay(project, session, folders, progress)
    progress.step(f"{loaded} batch(es) loaded and recorded in history")
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    from dataprodukt.checks.runner import run_checks

    return run_checks(_project(args), only=args.only)


def _cmd_clean(args: argparse.Namespace) -> int:
    import shutil

    project = _project(args)
    for folder in (project.build_dir, project.target_dir):
        if folder.exists():
            shutil.rmtree(folder)
            print(f"removed {folder}")
    if project.target != "duckdb":
        print(f"target {project.target}: the warehouse's schemas are left as they are (drop them there if you mean to)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dataprodukt", description=__doc__)
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    run = verbs.add_parser("run", help="the main job: generate and load data, replay history, build, test, document")
    _add_target(run)
    run.add_argument("--rows", type=int, default=20_000, help="certificate rows in the example data (default 20000)")
    run.add_argument("--batches", type=int, default=3, help="change batches after the first extract (default 3)")
    run.add_argument("--full-refresh", action="store_true", help="rebuild tables (history is never rebuilt)")
    run.add_argument(
        "--vars", default="", help="dbt vars for every step, e.g. '{period_from: 2024-Q2, period_to: 2024-Q2}'"
    )
    run.set_defaults(handler=_cmd_run)

    generate = verbs.add_parser("generate", help="write the example's synthetic raw extracts (CSV)")
    _add_target(generate)
    generate.add_argument("--rows", type=int, default=20_000)
    generate.add_argument("--batches", type=int, default=3)
    generate.add_argument("--seed", type=int, default=20240101)
    generate.add_argument("--out", help="folder to write to (default build/raw)")
    generate.set_defaults(handler=_cmd_generate)

    load = verbs.add_parser("load", help="load raw batches not yet in history, recording each with a snapshot")
    _add_target(load)
    load.add_argument("--batch", action="append", default=[], help="a batch folder (repeatable; default all)")
    load.set_defaults(handler=_cmd_load)

    check = verbs.add_parser("check", help="run every convention check and report every violation")
    _add_target(check)
    check.add_argument("--only", action="append", default=[], help="run only this check (repeatable)")
    check.set_defaults(handler=_cmd_check)

    clean = verbs.add_parser("clean", help="remove build/ (raw files, DuckDB file, exports) and target/")
    _add_target(clean)
    clean.set_defaults(handler=_cmd_clean)

    for module in commands.discover():
        module.register(verbs)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except UserError as error:
        print(f"dataprodukt {args.verb}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"dataprodukt {args.verb}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
