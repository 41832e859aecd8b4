"""dbt's artifacts, read once: manifest.json, catalog.json and run_results.json, refused when stale.

The export runs after ``dbt build`` and ``dbt docs generate`` (the main job does both). Artifacts older than
the project's model files, a missing catalog or a published model the catalog does not know are refused with the
command that makes them right.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dataprodukt.core.dbt_session import read_artifact
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
    catalog_path = target_dir / "catalog.json"
    if not manifest_path.is_file():
        raise UserError(f"{manifest_path} is missing: run `{BUILD_AND_DOCS}`) before exporting metadata")
    newest, newest_path = newest_project_file(root)
    if newest_path is not None and manifest_path.stat().st_mtime < newest:
        relative = newest_path.relative_to(root)
        raise UserError(
            f"{manifest_path} is older than {relative}: the artifacts are stale; "
            f"run `{BUILD_AND_DOCS}`) before exporting metadata"
        )
    if not catalog_path.is_file():
        raise UserError(
            f"{catalog_path} is missing: run `dbt docs generate` after `dbt build` (column types come from it)"
        )
    manifest = read_artifact(manifest_path, "dbt build")
    catalog = read_artifact(catalog_path, "dbt docs generate")
    run_results_path = target_dir / "run_results.json"
    run_results = read_artifact(run_results_path, "dbt build") if run_results_path.is_file() else None
    artifacts = Artifacts(manifest, catalog, run_results)
    if check_published:
        published = [dataset.unique_id for dataset in published_datasets(manifest)]
        missing = [unique_id for unique_id in published if unique_id not in catalog.get("nodes", {})]
        if missing:
            names = ", ".join(unique_id.split(".", 2)[-1] for unique_id in missing)
            raise UserError(
                f"{catalog_path} has no entry for {names}: the model was not built when the catalog was made; "
                f"run `{BUILD_AND_DOCS}`)"
            )
        failed = failed_models(run_results, set(published))
        if failed:
            raise UserError(
                f"{run_results_path}: the last dbt run failed for {', '.join(failed)}: "
                "fix the model and run `dbt build` before exporting its metadata"
            )
    return artifacts


def failed_models(run_results: dict[str, Any] | None, published: set[str]) -> list[str]:
    failed = []
    for result in (run_results or {}).get("results", []):
        if result.get("unique_id") in published and str(result.get("status")) in FAILED:
            failed.append(str(result["unique_id"]).split(".", 2)[-1])
    return sorted(failed)
