"""The latest alias: the newest published stable version, reachable without ``_v<N>``.

Two aliases per dataset: a view named like the relation without its version suffix, and a copy of the data file
under the unversioned name in storage. Both point at the newest published stable version up to dbt's
``latest_version`` (a higher version is a prerelease until ``latest_version`` reaches it), and at v0 only while
no stable version is published, so the alias only moves forward.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from pathlib import PurePosixPath

from dataprodukt.core.storage import Storage
from dataprodukt.core.warehouse import Warehouse
from dataprodukt.publish.register import Record
from dataprodukt.rules.identity import Dataset
from dataprodukt.rules.naming_standard import warehouse_identifier


def latest_target(versions: list[Dataset], records: dict[tuple[str, str], Record]) -> Dataset | None:
    """The version the latest alias points at (see the module's docstring); None when there is none."""
    stable = [
        dataset
        for dataset in versions
        if dataset.is_stable
        and dataset.relation[1:] in records
        and (dataset.latest_version is None or (dataset.version or 0) <= dataset.latest_version)
    ]
    if stable:
        return max(stable, key=lambda dataset: dataset.version or 0)
    unstable = [dataset for dataset in versions if not dataset.is_stable]
    return unstable[0] if unstable else None


def move_latest(
    warehouse: Warehouse,
    storage: Storage,
    datasets: list[Dataset],
    records: dict[tuple[str, str], Record],
    say: Callable[[str], None],
) -> list[str]:
    """Point every dataset's latest view and copy at its latest target; one ``name -> stem`` line each."""
    families: dict[tuple[str, str], list[Dataset]] = defaultdict(list)
    for dataset in datasets:
        families[(dataset.relation[1], dataset.latest_stem)].append(dataset)
    moved = []
    for (schema, latest_stem), versions in sorted(families.items()):
        target = latest_target(versions, records)
        if target is None:
            continue
        view = warehouse_identifier(latest_stem)
        if point_view(warehouse, schema, view, target.relation[2]):
            say(f"latest {schema}.{view} -> {target.relation[2]}")
        if copy_latest(storage, target):
            say(f"latest {storage.uri(target.latest_storage_path)} = {target.stem}")
        moved.append(f"{latest_stem} -> {target.stem}")
    return moved


def point_view(warehouse: Warehouse, schema: str, view: str, relation: str) -> bool:
    """Make the latest view select from ``relation``; False when it does already."""
    definition = warehouse.view_definition(schema, view)
    if definition is not None and relation in definition and f"{relation}_" not in definition:
        return False
    warehouse.replace_view(schema, view, f"select * from {warehouse.quote(schema, relation)}")
    return True


def copy_latest(storage: Storage, dataset: Dataset) -> bool:
    """The latest copy in storage: the versioned file's bytes under the unversioned name."""
    source, target = dataset.storage_path, dataset.latest_storage_path
    if not dataset.partition_by:
        return storage.replace(target, storage.read_bytes(source))
    changed = False
    for folder in storage.listdir(source):
        file = PurePosixPath(folder, "data.parquet")
        changed = storage.replace(target / file, storage.read_bytes(source / file)) or changed
    return changed
