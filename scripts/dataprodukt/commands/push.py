"""``dataprodukt push``: send the documentation to the catalogs people open, where dbt_project.yml configures them.

Reads vars catalogs in dbt_project.yml (nothing configured: nothing sent) and dbt's artifacts in target/ (after
`dataprodukt run`, or `dbt build && dbt docs generate`): NAV's dbt docs host gets the dbt docs site, NAV's data
marketplace a dataset description per published model with its personal-data level and column tags. Tokens come
from the environment variables the sinks' token_env name. --dry-run prints what would be sent and sends nothing.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from dataprodukt import commands


def register(verbs: Any) -> None:
    parser = verbs.add_parser(
        "push",
        help="send the documentation to the catalogs configured in dbt_project.yml (vars catalogs); part of run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--dry-run", action="store_true", help="print what would be sent; send nothing")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from dataprodukt.core.errors import UserError
    from dataprodukt.datadoc.remote_catalogs import VAR, push

    project = commands.project(args)
    path = project.target_dir / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise UserError(f"{path} can't be read ({error}): run `dataprodukt run` (or dbt build) first") from error
    lines = push(project.variables, project.name, manifest, project.target_dir, dry_run=args.dry_run)
    for line in lines:
        print(line)
    if not lines:
        print(f"no catalog configured (vars {VAR} in dbt_project.yml): nothing sent")
    return 0
