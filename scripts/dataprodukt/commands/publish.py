"""`dataprodukt publish`: publish the built datasets (after `dbt build` and `dbt docs generate`): their Datadoc
metadata, then their record, data files and register row, then the latest alias; never rewrites a published
version. With ``--new-version MODEL``, publish a published model's corrected data as its next version."""

from __future__ import annotations

import argparse
from typing import Any

from dataprodukt import commands


def handle(args: argparse.Namespace) -> int:
    from dataprodukt.core.context import RunContext
    from dataprodukt.core.errors import UserError
    from dataprodukt.pipeline import PUBLICATION_STEPS, new_versions, run_steps
    from dataprodukt.publish.fingerprints import node_codes

    with RunContext.open(commands.project(args)) as context:
        outcome = run_steps(context, PUBLICATION_STEPS)
        requested = list(dict.fromkeys(args.new_version))
        if not requested or outcome is None:
            return 0
        models = {dataset.model: dataset for dataset in context.datasets if dataset.version is not None}
        unknown = [model for model in requested if model not in models]
        if unknown:
            raise UserError(
                f"--new-version {', '.join(unknown)}: no published model of that name (a versioned model in a "
                f"data-state folder); choose from {', '.join(sorted(models))}"
            )
        wanted = outcome.wanting_new_versions(requested, node_codes(context.manifest))
        for model in requested:
            if model in {dataset.model for dataset in wanted}:
                continue
            stable = [d for d in context.datasets if d.model == model and d.is_stable]
            reason = (
                "it has no stable version: v0 changes freely, it is rebuilt and exported on every run"
                if not stable
                else "its newest published version holds the same data as a build from today's data: no new version"
            )
            print(f"publish: {model}: {reason}")
        if wanted:
            new_versions(context, wanted)
    return 0


def register(verbs: Any) -> None:
    parser = verbs.add_parser(
        "publish",
        help="publish the built datasets: metadata, then parquet files in storage, the register, the latest alias "
        "(never rewrites)",
    )
    commands.add_target(parser)
    parser.add_argument(
        "--new-version",
        metavar="MODEL",
        action="append",
        default=[],
        help="publish MODEL's data as its next version when it differs from the published version (corrected source "
        "data); published models downstream whose data changes with it get one too (repeatable)",
    )
    parser.set_defaults(handler=handle)
