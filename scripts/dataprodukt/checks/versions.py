"""A published version never changes: the project is compared with the manifest stored at the last publication
(``<storage root>/<product>/publisering/manifest.json``) using dbt's state comparison (``state:modified+``); a
published version that changed, or whose upstream code changed, fails: add a version."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from dataprodukt.checks import CheckContext, Violation
from dataprodukt.core.storage import Storage
from dataprodukt.publish.register import manifest_path, record_path
from dataprodukt.rules.identity import Dataset, published_datasets

NAME = "versions"


def run(context: CheckContext) -> list[Violation]:
    return _changed_since_publication(context, published_datasets(context.manifest))


def _changed_since_publication(context: CheckContext, datasets: list[Dataset]) -> list[Violation]:
    storage = context.publications
    violations: list[Violation] = []
    for product in sorted({dataset.product for dataset in datasets}):
        stored = manifest_path(product)
        if not storage.exists(stored):
            context.notes.append(
                f"versions: nothing published for {product} in {storage.uri(stored)}: no state to compare"
            )
            continue
        modified = _state_modified(context, storage, str(stored))
        for dataset in datasets:
            if dataset.product != product or dataset.unique_id not in modified or not dataset.is_stable:
                continue
            if not storage.exists(record_path(product, dataset.storage_folder, dataset.stem)):
                continue  # not published (yet): free to change
            newest = max(dataset.latest_version or 0, dataset.version or 0)
            path = str(dataset.node.get("patch_path") or dataset.node["original_file_path"]).split("://", 1)[-1]
            violations.append(
                Violation(
                    dataset.model,
                    path,
                    None,
                    f"{dataset.stem} (v{dataset.version})",
                    f"is published and it (or code upstream of it) changed since (dbt state:modified+ against "
                    f"{storage.uri(stored)}): add version {newest + 1} to change it, keep v{dataset.version} as it was",
                    NAME,
                )
            )
    return violations


def _state_modified(context: CheckContext, storage: Storage, stored: str) -> set[str]:
    """unique_ids dbt selects with ``state:modified+`` against the stored manifest."""
    from dataprodukt.core.dbt_session import DbtSession

    folder = Path(tempfile.mkdtemp(prefix="publication-state-"))
    try:
        (folder / "manifest.json").write_bytes(storage.read_bytes(stored))
        session = DbtSession(context.project, quiet=True)
        found = session.invoke(
            ["ls", "--resource-type", "model", "--select", "state:modified+", "--state", str(folder)],
            # --no-write-json: `dbt ls` would replace target/manifest.json with one without compiled SQL
            ["--output", "json", "--output-keys", "unique_id", "--no-print", "--no-write-json"],
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {json.loads(line)["unique_id"] for line in found or []}
