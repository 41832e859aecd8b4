"""The identity of each published dataset, as dbt computed it: read from the manifest, never recomputed.

A published model lives in a data-state folder (models/<state>/, see ``naming.DATA_STATES``) and is built by
the ``published_table`` materialization. Its identity is product short name + data state + short description +
period(s) + version:
- the SSB name (``<description>_p<FROM>[_p<TO>]_v<N>``) and the product are computed once, by dbt, when it names
  the relation (macros/naming/generate_alias_name.sql), and stored in the node's ``meta`` as ``dataset_stem`` and
  ``product``; the description, periods and version are read back from that name;
- the data state, its assessment and storage folder follow from the model's folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from dataprodukt.core.errors import UserError
from dataprodukt.rules.naming_standard import DATA_STATES, DataState, parse_dataset_name

# models/<folder> -> its data state
STATES: dict[str, DataState] = {state.models_folder: state for state in DATA_STATES}


@dataclass(frozen=True)
class Dataset:
    """One published dataset version, as the manifest describes it."""

    unique_id: str
    model: str
    version: int | None
    latest_version: int | None
    folder: str
    product: str
    stem: str
    description: str
    period_from: str
    period_to: str | None
    node: dict[str, Any]

    @property
    def state(self) -> DataState:
        return STATES[self.folder]

    @property
    def dataset_state(self) -> str:
        return self.state.dataset_state

    @property
    def assessment(self) -> str:
        return self.state.assessment

    @property
    def storage_folder(self) -> str:
        return self.state.folder

    @property
    def latest_stem(self) -> str:
        """The unversioned name the newest stable version is also reachable under."""
        return self.stem.rsplit("_v", 1)[0] if self.version is not None else self.stem

    @property
    def partition_by(self) -> str | None:
        """The column ``meta.storage_partition_by`` names: the export is then hive-partitioned by it."""
        meta = node_meta(self.node)
        return str(meta["storage_partition_by"]) if meta.get("storage_partition_by") else None

    @property
    def storage_path(self) -> PurePosixPath:
        """Path below the storage root: ``<product>/<state folder>/<stem>.parquet``, or the folder
        ``<product>/<state folder>/<stem>`` holding ``<key>=<value>/data.parquet`` when partitioned.
        The one place a dataset's file path is made: metadata siblings go beside it as ``<stem>__DOC.json``."""
        name = self.stem if self.partition_by else f"{self.stem}.parquet"
        return PurePosixPath(self.product, self.storage_folder, name)

    @property
    def latest_storage_path(self) -> PurePosixPath:
        """Where the copy of the newest stable version goes, without ``_v<N>``."""
        return self.storage_path.with_name(self.latest_stem + self.storage_path.name[len(self.stem) :])

    @property
    def is_stable(self) -> bool:
        """v0 is for sharing unstable data; v1 and up are stable."""
        return bool(self.version)

    @property
    def relation(self) -> tuple[str, str, str]:
        return (
            str(self.node.get("database") or ""),
            str(self.node["schema"]),
            str(self.node.get("alias") or self.node["name"]),
        )


def node_meta(node: dict[str, Any]) -> dict[str, Any]:
    """A node's meta: its config's, with the node's own (older manifests) over it."""
    return {**(node.get("config", {}).get("meta") or {}), **(node.get("meta") or {})}


def model_folder(node: dict[str, Any]) -> str:
    parts = PurePosixPath(str(node.get("original_file_path", ""))).parts
    return parts[1] if len(parts) > 2 and parts[0] == "models" else ""


def dataset(unique_id: str, node: dict[str, Any]) -> Dataset:
    """The dataset a published model version is, from what dbt stored when it named the relation."""
    meta = node_meta(node)
    where = f"{node['name']} ({node.get('original_file_path')})"
    stem, product = str(meta.get("dataset_stem") or ""), str(meta.get("product") or "")
    if not stem or not product:
        raise UserError(
            f"published model {where} has no dataset name in the manifest (meta.dataset_stem and meta.product, set "
            "by macros/naming/generate_alias_name.sql): give it versions in its YAML and run `dbt parse` again"
        )
    name, problems = parse_dataset_name(stem)
    if name is None:
        raise UserError(f"published model {where}: {'; '.join(map(str, problems))}")
    version = node.get("version")
    latest = node.get("latest_version")
    return Dataset(
        unique_id=unique_id,
        model=str(node["name"]),
        version=int(version) if version is not None else None,
        latest_version=int(latest) if latest is not None else None,
        folder=model_folder(node),
        product=product,
        stem=stem,
        description=name.description,
        period_from=name.periods[0].text,
        period_to=name.periods[-1].text if len(name.periods) > 1 else None,
        node=node,
    )


def is_published(node: dict[str, Any], project: str) -> bool:
    """A model version of the project in a data-state folder: a published dataset."""
    return (
        node.get("resource_type") == "model"
        and node.get("package_name") == project
        and model_folder(node) in STATES
        and node.get("version") is not None
    )


def published_datasets(manifest: dict[str, Any]) -> list[Dataset]:
    """Every model version in a data-state folder of the manifest's own project, in a stable order."""
    project = str(manifest.get("metadata", {}).get("project_name", ""))
    datasets = [
        dataset(unique_id, node) for unique_id, node in manifest.get("nodes", {}).items() if is_published(node, project)
    ]
    return sorted(datasets, key=lambda found: (found.folder, found.model, found.version or 0))
