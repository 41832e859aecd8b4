"""`dataprodukt catalog`: build the static catalog page from the Datadoc documents, dbt's manifest and the run log."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from dataprodukt import commands


def register(verbs: Any) -> None:
    parser = verbs.add_parser(
        "catalog", help="build the catalog page (build/catalog/site/index.html): datasets, variables, versions, lineage"
    )
    commands.add_target(parser)
    parser.add_argument("--out", help="folder to write the site to (default build/catalog/site)")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from dataprodukt.catalog.site import build_catalog_site
    from dataprodukt.core.context import RunContext
    from dataprodukt.core.storage import Storage

    project = commands.project(args)
    with RunContext.open(project) as context:
        index = build_catalog_site(context, Storage(str(Path(args.out).resolve())) if args.out else None)
    print(f"catalog page written: {index}")
    print(f"open it from disk, or serve the build folder: python -m http.server -d {project.build_dir} 8000")
    return 0
