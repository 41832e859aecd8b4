"""``dataprodukt export``: Datadoc metadata for every published dataset version, after a plain dbt build.

Reads target/manifest.json, catalog.json and run_results.json (``dbt build`` then ``dbt docs generate``), and
writes ``<stem>__DOC.json`` beside each data file, the catalog folder with index.json, the data package and the
warehouse catalog table. Nothing is written unless every document validates.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from dataprodukt import commands


def register(verbs: Any) -> None:
    parser = verbs.add_parser(
        "export",
        help="export Datadoc metadata of every published dataset (after dbt build + dbt docs generate)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands.add_target(parser)
    parser.add_argument(
        "--storage-root", type=Path, help="root of the data files (default $DATAPRODUKT_STORAGE_ROOT or build/storage)"
    )
    parser.add_argument(
        "--catalog-dir", type=Path, help="catalog folder (default $DATAPRODUKT_CATALOG_DIR or build/catalog)"
    )
    parser.add_argument("--no-warehouse", action="store_true", help="write the files only, not the catalog table")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from dataprodukt.datadoc.exporter import export_metadata, summary

    project = commands.project(args)
    result = export_metadata(
        project, storage=args.storage_root, catalog=args.catalog_dir, warehouse=not args.no_warehouse
    )
    for document in result.documents:
        dataset = document.description.dataset
        kind = "strict" if document.strict else "draft"
        print(
            f"  {dataset.model} v{dataset.version} ({dataset.dataset_state}, {kind}): {dataset.stem}__DOC.json, "
            f"{document.description.percentage_complete}% complete"
        )
    print(summary(project, result))
    return 0
