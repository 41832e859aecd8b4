"""The identity of each published dataset, derived from dbt's manifest and never typed twice.

A published model lives in a data-state folder (models/<state>/); its identity is product short name +
data state + short description + period(s) + version. Everything here is derived:
- state: from the folder; assessment: from the state (DOMAIN.md §2);
- description: the model name with ``_`` written as ``-``, unless ``meta.short_description`` says otherwise;
- product and periods: ``meta.product``/``meta.period_from``/``meta.period_to``, which dbt_project.yml sets for
  every model from the vars ``product``/``period_from``/``period_to`` (so ``--vars`` on a scheduled run wins);
- version: the dbt model version.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from dataprodukt.rules.naming import dataset_stem

# models/<folder> -> (Datadoc dataset_state, assessment, SSB storage folder)
STATES: dict[str, tuple[str, str, str]] = {
    "inndata": ("INPUT_DATA", "PROTECTED", "inndata"),
    "klargjorte_data": ("PROCESSED_DATA", "PROTECTED", "klargjorte-data"),
    "statistikk": ("STATISTICS", "PROTECTED", "statistikk"),
    "utdata": ("OUTPUT_DATA", "OPEN", "utdata"),
}


@dataclass(frozen=True)
class Dataset:
    """One published dataset version, as the manifest describes it."""

    unique_id: str
    model: str
    version: int | None
    latest_version: int | None
    folder: str
    product: str
    description: str
    period_from: str
    period_to: str | None
    node: dict[str, Any]

    @property
    def dataset_state(self) -> str:
        return STATES[self.folder][0]

    @property
    def assessment(self) -> str:
        return STATES[self.folder][1]

    @property
    def storage_folder(self) -> str:
        return STATES[self.folder][2]

    @property
    def stem(self) -> str:
        """``<description>_p<FROM>[_p<TO>]_v<N>``."""
        return dataset_stem(self.description, self.period_from, self.period_to, self.version)

    @property
    def latest_stem(self) -> str:
        """The unversioned name the newest stable version is also reachable under."""
        return dataset_stem(self.description, self.period_from, self.period_to, None)

    @property
    def partition_by(self) -> str | None:
        """The column ``meta.storage_partition_by`` names: the export is then hive-partitioned by it."""
        meta = {**(self.node.get("config", {}).get("meta") or {}), **(self.node.get("meta") or {})}
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


def model_folder(node: dict[str, Any]) -> str:
    parts = PurePosixPath(str(node.get("original_file_path", ""))).parts
    return parts[1] if len(parts) > 2 and parts[0] == "models" else ""


def published_datasets(manifest: dict[str, Any]) -> list[Dataset]:
    """Every model version in a data-state folder of the manifest's own project, in a stable order."""
    project = str(manifest.get("metadata", {}).get("project_name", ""))
    datasets = []
    for unique_id, node in manifest.get("nodes", {}).items():
        if node.get("resource_type") != "model" or node.get("package_name") != project:
            continue
        folder = model_folder(node)
        if folder not in STATES:
            continue
        meta = {**(node.get("config", {}).get("meta") or {}), **(node.get("meta") or {})}
        version = node.get("version")
        latest = node.get("latest_version")
        datasets.append(
            Dataset(
                unique_id=unique_id,
                model=str(node["name"]),
                version=int(version) if version is not None else None,
                latest_version=int(latest) if latest is not None else None,
                folder=folder,
                product=str(meta.get("product") or project),
                description=str(meta.get("short_description") or str(node["name"]).replace("_", "-")),
                period_from=str(meta.get("period_from") or ""),
                period_to=str(meta.get("period_to") or "") or None,
                node=node,
            )
        )
    return sorted(datasets, key=lambda dataset: (dataset.folder, dataset.model, dataset.version or 0))
