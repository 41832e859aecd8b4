"""`dataprodukt names`: check storage paths and file names against the SSB naming standard.

With paths: each is checked as written (``sykefravaer/statistikk/sykefravaersprosent_p2024-Q1_v1.parquet``,
``gs://bucket/...``, Dapla Lab's mount ``/buckets/bucket/...``); a file in the local storage root is checked from
the root (``build/storage/sykefravaer/...``). Without: every published dataset's path from the manifest, and every
file in the storage root.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

from dataprodukt import commands
from dataprodukt.core.errors import UserError
from dataprodukt.rules.naming_standard import SIBLING, NameViolation, split_bucket, split_extension, validate_path

VERSIONED = re.compile(r"_v(0|[1-9]\d*)$")


def _stem(path: str) -> str:
    """The dataset name of a stored file: without extension and without a ``__DOC.json``-style suffix."""
    name = path.rsplit("/", 1)[-1]
    sibling = SIBLING.match(name)
    return sibling["stem"] if sibling else split_extension(name)[0]


def _storage_paths(args: argparse.Namespace) -> list[tuple[str, bool]]:
    """(path, allow_unversioned) for every published dataset and stored file."""
    from dataprodukt.core.dbt_session import DbtSession
    from dataprodukt.core.storage import CATALOG_FOLDER, storage_for
    from dataprodukt.rules.identity import published_datasets

    project = commands.project(args)
    session = DbtSession(project, quiet=True)
    session.parse()
    found = [(str(dataset.storage_path), False) for dataset in published_datasets(session.manifest_json())]
    storage = storage_for(project)
    files = [
        path
        for path in storage.walk()
        # the register's records, the catalog in a bucket (<product>/katalog/) and the product's data package
        # (<product>/datapackage.json) describe the data
        if not {"/publisering/", f"/{CATALOG_FOLDER}/", "/.tmp-"} & _folders(path) and not _is_data_package(path)
    ]
    stems = {_stem(path) for path in files}
    for path in files:
        # the latest copy (no _v<N>) is allowed beside a versioned sibling
        stem = _stem(path)
        latest = any(VERSIONED.sub("", other) == stem and other != stem for other in stems)
        found.append((storage.uri(path) if not storage.is_local else path, latest))
    return found


def _local_storage_root() -> Path | None:
    """The project's storage root when it is a local folder (paths in it are checked from it), else None."""
    from dataprodukt.core.project import Project
    from dataprodukt.core.storage import storage_for

    try:
        storage = storage_for(Project.discover())
    except UserError:  # outside a project, or a storage root that can't be read: paths are checked as given
        return None
    return Path(storage.root).resolve() if storage.is_local else None


def _below_storage_root(path: str, root: Path | None) -> str:
    """A file in the local storage root is named from the root (``build/storage/<product>/...`` is checked as
    ``<product>/...``); a bucket path (``gs://``, ``/buckets/``) and any other path are checked as given."""
    if root is None or split_bucket(path)[0] is not None:
        return path
    try:
        return Path(path).resolve().relative_to(root).as_posix()
    except ValueError:
        return path


def handle(args: argparse.Namespace) -> int:
    if args.paths:
        root = _local_storage_root()
        paths = [(path, False) for path in args.paths]
        checked = {path: _below_storage_root(path, root) for path in args.paths}
    else:
        paths = _storage_paths(args)
        checked = {path: path for path, _latest in paths}
    failed = 0
    for path, allow_unversioned in paths:
        problems: list[NameViolation] = validate_path(
            checked[path], data_product=args.data_product, allow_unversioned=allow_unversioned
        )
        if problems:
            failed += 1
            for problem in problems:
                print(f"{path}: {problem}")
        else:
            print(f"ok {path}")
    print(f"{len(paths) - failed} of {len(paths)} path(s) follow the naming standard")
    return 1 if failed else 0


def register(verbs: Any) -> None:
    parser = verbs.add_parser("names", help="check paths and file names against the SSB naming standard")
    commands.add_target(parser)
    parser.add_argument("paths", nargs="*", help="paths to check (default: published datasets and stored files)")
    parser.add_argument("--data-product", action="store_true", help="the product is a data product (name ends _data)")
    parser.set_defaults(handler=handle)


def _is_data_package(path: str) -> bool:
    """``<product>/datapackage.json``: the frictionless descriptor of the product's published files."""
    parts = path.strip("/").split("/")
    return parts[-1] == "datapackage.json" and len(parts) >= 2


def _folders(path: str) -> set[str]:
    """``/<folder>/`` for every folder in a path below the storage root (and ``/.tmp-`` for a temporary file)."""
    parts = path.split("/")
    found = {f"/{part}/" for part in parts[:-1]}
    return found | ({"/.tmp-"} if parts[-1].startswith(".tmp-") else set())
