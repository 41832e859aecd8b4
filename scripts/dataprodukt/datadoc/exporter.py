"""The export: dbt's artifacts -> validated Datadoc documents -> every sink, all or nothing.

Everything is described and validated first; only when every document is valid are files written (beside the
data files, into the catalog folder with its index, the data package) and the warehouse catalog table loaded.
"""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from dataprodukt.core.artifacts import Artifacts, check_complete
from dataprodukt.core.context import RunContext
from dataprodukt.core.errors import UserError
from dataprodukt.core.storage import Storage
from dataprodukt.datadoc import datapackage, sinks
from dataprodukt.datadoc.describe import DatasetDescription, describe
from dataprodukt.datadoc.documents import Document, DocumentError, build
from dataprodukt.datadoc.lineage import Lineage
from dataprodukt.datadoc.stamps import History
from dataprodukt.rules.identity import published_datasets


@dataclass
class ExportResult:
    documents: list[Document]
    storage: Storage | None = None
    catalog: Storage | None = None
    changed_files: int = 0
    packages: list[PurePosixPath] = field(default_factory=list)
    warehouse_rows: int = 0
    seconds: float = 0.0


def describe_all(artifacts: Artifacts, uri: str) -> list[DatasetDescription]:
    lineage = Lineage(artifacts.manifest, personal_data_classes(artifacts.manifest))
    return [
        describe(dataset, artifacts.catalog_columns(dataset.unique_id), lineage, uri)
        for dataset in published_datasets(artifacts.manifest)
    ]


def build_documents(
    descriptions: list[DatasetDescription], catalog: Storage, storage: Storage, history: History
) -> list[Document]:
    """Every document, validated; one UserError naming every problem when any is wrong (nothing written)."""
    problems = [str(problem) for description in descriptions for problem in description.problems]
    if problems:
        raise UserError(
            f"{len(problems)} meta value(s) outside Datadoc's enums, nothing exported: " + "; ".join(problems)
        )
    documents, errors = [], []
    for description in descriptions:
        relative = sinks.document_path_for(description.dataset)
        try:
            documents.append(build(description, sinks.previous_document(catalog, storage, relative), history))
        except DocumentError as error:
            errors.append(str(error))
    if errors:
        raise UserError(
            f"{len(errors)} document(s) do not validate with ssb-datadoc-model, nothing exported: "
            + "; ".join(errors)
            + " (`dataprodukt check --only metadata` lists every missing field)"
        )
    return documents


def export(
    root: Path,
    artifacts: Artifacts,
    storage: Storage,
    catalog: Storage,
    package_config: dict[str, Any] | None = None,
) -> ExportResult:
    """Describe, validate and write the files (documents, index, data packages); the warehouse is separate."""
    started = time.perf_counter()
    # The export allocates many small objects that all live until it ends; Python's cyclic collector would walk
    # them again and again (measured: 2-3x the run time at 1,000 models, and growing faster than linearly).
    collecting = gc.isenabled()
    gc.disable()
    try:
        descriptions = describe_all(artifacts, storage.public_root)
        documents = build_documents(descriptions, catalog, storage, History(root))
        result = ExportResult(documents, storage, catalog)
        result.changed_files = sinks.write_files(documents, storage, catalog)
        result.packages, changed = datapackage.write_packages(storage, descriptions, package_config or {})
        result.changed_files += changed
    finally:
        if collecting:
            gc.enable()
    result.seconds = time.perf_counter() - started
    return result


def package_config(variables: dict[str, Any]) -> dict[str, Any]:
    config = variables.get("datapackage")
    return config if isinstance(config, dict) else {}


def export_metadata(context: RunContext, warehouse: bool = True) -> ExportResult:
    """Export every published dataset version from the context's artifacts (which must be complete)."""
    started = time.perf_counter()
    check_complete(context.artifacts, context.project.target_dir)
    result = export(
        context.project.root,
        context.artifacts,
        context.storage,
        context.catalog,
        package_config(context.project.variables),
    )
    if warehouse and result.documents:
        result.warehouse_rows = sinks.write_catalog_table(context.warehouse, result.documents)
    result.seconds = time.perf_counter() - started
    return result


def step(context: RunContext) -> None:
    """The main job's step: export and say where the documents went."""
    print(summary(export_metadata(context)), flush=True)


def summary(result: ExportResult) -> str:
    strict = sum(document.strict for document in result.documents)
    where = " and ".join(place.root for place in (result.storage, result.catalog) if place is not None)
    table = sinks.CATALOG_TABLE
    return (
        f"exported {len(result.documents)} Datadoc document(s) ({strict} strict, "
        f"{len(result.documents) - strict} draft v0) to {where}; "
        f"{result.changed_files} file(s) changed; {result.warehouse_rows} catalog row(s) in "
        f"{table.schema}.{table.name} in {result.seconds:.2f}s"
    )


def personal_data_classes(manifest: dict[str, Any]) -> dict[tuple[str, str], tuple[str, str | None]] | None:
    """Column classes from the lineage of the compiled SQL; None for a manifest without compiled SQL."""
    from dataprodukt.rules.personal_data import classify

    try:
        return classify(manifest)
    except UserError:
        return None
