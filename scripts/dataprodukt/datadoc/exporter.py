"""The export: dbt's artifacts -> validated Datadoc documents -> every sink, all or nothing.

Everything is described and validated first; only when every document is valid are files written (beside the
data files, into the catalog folder with its index, the data package) and the warehouse catalog table loaded.
"""

from __future__ import annotations

import gc
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from dataprodukt.core.artifacts import Artifacts, check_complete
from dataprodukt.core.context import RunContext
from dataprodukt.core.errors import UserError
from dataprodukt.core.pseudonym_key import key_reference
from dataprodukt.core.storage import Storage
from dataprodukt.datadoc import datapackage, sinks
from dataprodukt.datadoc.describe import Context, DatasetDescription, describe
from dataprodukt.datadoc.documents import Document, DocumentError, build
from dataprodukt.datadoc.lineage import Lineage
from dataprodukt.datadoc.stamps import History
from dataprodukt.publish.register import Record, stored_records
from dataprodukt.rules.identity import Dataset, published_datasets


@dataclass
class ExportResult:
    documents: list[Document]
    storage: Storage | None = None
    catalog: Storage | None = None
    changed_files: int = 0
    packages: list[PurePosixPath] = field(default_factory=list)
    warehouse_rows: int = 0
    seconds: float = 0.0


def describe_all(
    artifacts: Artifacts, uri: str, storage: Storage | None = None, variables: dict[str, Any] | None = None
) -> list[DatasetDescription]:
    return describe_datasets(artifacts.manifest, artifacts.catalog_columns, uri, storage, variables)


def describe_datasets(
    manifest: dict[str, Any],
    columns_of: Callable[[str], dict[str, dict[str, Any]]],
    uri: str,
    storage: Storage | None = None,
    variables: dict[str, Any] | None = None,
) -> list[DatasetDescription]:
    """Every published dataset version, each with the version before it (described here, or its document in
    storage when it is no longer in the project) and its publication record (from storage)."""
    classes = personal_data_classes(manifest)
    keyed = keyed_pseudonyms(manifest, classes) if classes else set()
    lineage = Lineage(manifest, classes, keyed)
    datasets = published_datasets(manifest)
    published = _records(storage, {dataset.product for dataset in datasets})
    by_model: dict[str, list[Record]] = {}
    for record in published.values():
        by_model.setdefault(record.model, []).append(record)
    reference = key_reference(variables or {})
    done: list[DatasetDescription] = []
    versions: dict[str, list[DatasetDescription]] = {}  # each model's versions described so far
    for dataset in datasets:  # each model's versions in order: the previous comes first
        earlier = versions.setdefault(dataset.model, [])
        previous, previous_variables = _previous(dataset, earlier, by_model.get(dataset.model, []), storage)
        context = Context(previous, tuple(previous_variables), published.get(dataset.stem), reference)
        description = describe(dataset, columns_of(dataset.unique_id), lineage, uri, context)
        done.append(description)
        earlier.append(description)
    return done


def _records(storage: Storage | None, products: set[str]) -> dict[str, Record]:
    """The publication register's records in storage, by dataset stem (none without storage)."""
    if storage is None:
        return {}
    found: dict[str, Record] = {}
    for product in sorted(products):
        try:
            found.update({record.dataset: record for record in stored_records(storage, product)})
        except (OSError, ValueError, TypeError):  # an unreadable register: versions are compared within the project
            continue
    return found


def _previous(
    dataset: Dataset, earlier: list[DatasetDescription], records: list[Record], storage: Storage | None
) -> tuple[int | None, list[dict[str, Any]]]:
    """The newest stable version before this one (of the same model: ``earlier`` described here, ``records``
    published), and its variables as its document has them."""
    version = dataset.version or 0
    described = [item for item in earlier if 1 <= (item.dataset.version or 0) < version]
    stored = [record for record in records if 1 <= record.version < version]
    newest = max([item.dataset.version or 0 for item in described] + [record.version for record in stored], default=0)
    if not newest:
        return None, []
    for item in described:
        if item.dataset.version == newest:
            return newest, [{k: v for k, v in var.fields.items() if not k.startswith("_")} for var in item.variables]
    record = next(record for record in stored if record.version == newest)
    document = PurePosixPath(record.file_path).with_name(record.dataset + sinks.DOC_SUFFIX)
    try:
        data = storage.read_if_exists(document) if storage is not None else None
        found = json.loads(data)["datadoc"]["variables"] if data else []
    except (OSError, ValueError, KeyError, TypeError):
        found = []
    return (newest, list(found)) if found else (None, [])


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
    variables: dict[str, Any] | None = None,
) -> ExportResult:
    """Describe, validate and write the files (documents, index, data packages); the warehouse is separate."""
    started = time.perf_counter()
    # The export allocates many small objects that all live until it ends; Python's cyclic collector would walk
    # them again and again (measured: 2-3x the run time at 1,000 models, and growing faster than linearly).
    collecting = gc.isenabled()
    gc.disable()
    try:
        descriptions = describe_all(artifacts, storage.public_root, storage, variables)
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
        context.project.variables,
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


def keyed_pseudonyms(
    manifest: dict[str, Any], classes: dict[tuple[str, str], tuple[str, str | None]]
) -> set[tuple[str, str]]:
    from dataprodukt.rules import personal_data

    return personal_data.keyed_pseudonyms(manifest, classes)
