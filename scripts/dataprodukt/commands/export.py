"""``dataprodukt export``: Datadoc metadata for every published dataset version, after a plain dbt build.

Reads target/manifest.json, catalog.json and run_results.json (``dbt build`` then ``dbt docs generate``), and
writes ``<stem>__DOC.json`` beside each data file, the catalog folder with index.json, the data package and the
warehouse catalog table. Nothing is written unless every document validates.
"""

from __future__ import annotations

import argparse
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
        "--storage-root",
        help="root of the data files: a folder or gs://bucket/prefix (default $DATAPRODUKT_STORAGE_ROOT, else the "
        "var storage_root)",
    )
    parser.add_argument(
        "--catalog-dir", help="catalog folder (default $DATAPRODUKT_CATALOG_DIR, else build/catalog or in the bucket)"
    )
    parser.add_argument("--no-warehouse", action="store_true", help="write the files only, not the catalog table")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from dataprodukt.core.artifacts import read_artifacts
    from dataprodukt.core.context import RunContext
    from dataprodukt.core.storage import catalog_for, storage_for
    from dataprodukt.datadoc.exporter import export_metadata, summary

    project = commands.project(args)
    storage = storage_for(project, args.storage_root)
    catalog = catalog_for(project, storage, args.catalog_dir)
    with RunContext.open(project, storage=storage, catalog=catalog) as context:
        context.use_artifacts(read_artifacts(project.root, project.target_dir))
        result = export_metadata(context, warehouse=not args.no_warehouse)
    for document in result.documents:
        dataset = document.description.dataset
        kind = "strict" if document.strict else "draft"
        print(
            f"  {dataset.model} v{dataset.version} ({dataset.dataset_state}, {kind}): {dataset.stem}__DOC.json, "
            f"{document.description.percentage_complete}% complete"
        )
    print(summary(result))
    return 0
