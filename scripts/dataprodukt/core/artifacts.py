"""dbt's artifacts, read once: manifest.json, catalog.json and run_results.json.

The main job reads them once after ``dbt build`` and ``dbt docs generate`` and hands them to every step. A
command run on its own after a plain dbt build (``dataprodukt export``) reads them with ``read_artifacts``, which
refuses artifacts older than the project's model files, a missing catalog, or a published model the catalog does
not know, with the command that makes them right.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dataprodukt.core.errors import UserError
from dataprodukt.rules.identity import published_datasets

# files whose change makes the manifest stale
PROJECT_FILE_PATTERNS = ("*.sql", "*.yml", "*.yaml", "*.md")
FOLDERS = ("models", "snapshots", "seeds", "macros")
BUILD_AND_DOCS = "dbt build && dbt docs generate` (or `dataprodukt run"
FAILED = {"error", "fail", "runtime error"}


@dataclass(frozen=True)
class Artifacts:
    manifest: dict[str, Any]
    catalog: dict[str, Any]
    run_results: dict[str, Any] | None

    @classmethod
    def read(cls, target_dir: Path, made_by: str = "dbt build") -> Artifacts:
        """The three artifacts as they are (a missing catalog or run results is empty), each file read once."""
        return cls(
            read_artifact(target_dir / "manifest.json", made_by),
            optional_artifact(target_dir / "catalog.json") or {},
            optional_artifact(target_dir / "run_results.json"),
        )

    @property
    def engine(self) -> str:
        return str(self.manifest.get("metadata", {}).get("adapter_type") or "")

    def catalog_columns(self, unique_id: str) -> dict[str, dict[str, Any]]:
        entry = self.catalog.get("nodes", {}).get(unique_id) or {}
        columns: dict[str, dict[str, Any]] = entry.get("columns") or {}
        return columns


def newest_project_file(root: Path) -> tuple[float, Path | None]:
    newest, newest_path = 0.0, None
    candidates = [root / "dbt_project.yml"]
    for folder in FOLDERS:
        if (root / folder).is_dir():
            for pattern in PROJECT_FILE_PATTERNS:
                candidates.extend((root / folder).rglob(pattern))
    for path in candidates:
        try:
            mtime = path.stat().st_mtime
        except OSError:
            continue
        if mtime > newest:
            newest, newest_path = mtime, path
    return newest, newest_path


def read_artifacts(root: Path, target_dir: Path, check_published: bool = True) -> Artifacts:
    """Read the three artifacts once; refuse stale or missing ones with the command to run."""
    manifest_path = target_dir / "manifest.json"
    if not manifest_path.is_file():
        raise UserError(f"{manifest_path} is missing: run `{BUILD_AND_DOCS}`) before exporting metadata")
    newest, newest_path = newest_project_file(root)
    if newest_path is not None and manifest_path.stat().st_mtime < newest:
        relative = newest_path.relative_to(root)
        raise UserError(
            f"{manifest_path} is older than {relative}: the artifacts are stale; "
            f"run `{BUILD_AND_DOCS}`) before exporting metadata"
        )
    artifacts = Artifacts.read(target_dir)
    if check_published:
        check_complete(artifacts, target_dir)
    return artifacts


def check_complete(artifacts: Artifacts, target_dir: Path) -> None:
    """Every published model is in the catalog and built without error, or say which command makes it so."""
    catalog_path = target_dir / "catalog.json"
    if not artifacts.catalog:
        raise UserError(
            f"{catalog_path} is missing: run `dbt docs generate` after `dbt build` (column types come from it)"
        )
    published = [dataset.unique_id for dataset in published_datasets(artifacts.manifest)]
    missing = [unique_id for unique_id in published if unique_id not in artifacts.catalog.get("nodes", {})]
    if missing:
        names = ", ".join(unique_id.split(".", 2)[-1] for unique_id in missing)
        raise UserError(
            f"{catalog_path} has no entry for {names}: the model was not built when the catalog was made; "
            f"run `{BUILD_AND_DOCS}`)"
        )
    failed = failed_models(artifacts.run_results, set(published))
    if failed:
        raise UserError(
            f"{target_dir / 'run_results.json'}: the last dbt run failed for {', '.join(failed)}: "
            "fix the model and run `dbt build` before exporting its metadata"
        )


def read_artifact(path: Path, made_by: str) -> dict[str, Any]:
    """Read a dbt artifact, saying which command makes it when it is missing or unreadable."""
    if not path.is_file():
        raise UserError(f"{path} is missing: run `{made_by}` first")
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise UserError(f"{path} can't be read ({error}): run `{made_by}` again") from error
    return data


def optional_artifact(path: Path) -> dict[str, Any] | None:
    """An artifact that may be missing (catalog.json before `dbt docs generate`): None then."""
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return loaded if isinstance(loaded, dict) else None


def failed_models(run_results: dict[str, Any] | None, published: set[str]) -> list[str]:
    failed = []
    for result in (run_results or {}).get("results", []):
        if result.get("unique_id") in published and str(result.get("status")) in FAILED:
            failed.append(str(result["unique_id"]).split(".", 2)[-1])
    return sorted(failed)
