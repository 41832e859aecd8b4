"""Where the documents go: beside each data file, the catalog folder with an index, and a warehouse table.

Files go through the project's storage (a local folder or a bucket), and each is written only when its bytes
change, so an unchanged document keeps its file, its bytes and its modification time.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from pydantic_core import to_json

from dataprodukt.core.storage import Storage
from dataprodukt.core.warehouse import Table, Warehouse
from dataprodukt.datadoc.documents import Document
from dataprodukt.rules.identity import Dataset

DOC_SUFFIX = "__DOC.json"
INDEX = "index.json"
# one row per dataset version, with the whole document (JSON)
CATALOG_TABLE = Table(
    "katalog",
    "datadoc",
    (
        ("dataset_id", "text"),
        ("product", "text"),
        ("model", "text"),
        ("version", "int"),
        ("is_latest", "bool"),
        ("short_name", "text"),
        ("dataset_state", "text"),
        ("assessment", "text"),
        ("file_path", "text"),
        ("metadata_last_updated", "timestamp"),
        ("document", "json"),
    ),
    key=("dataset_id",),
)


def document_path_for(dataset: Dataset) -> PurePosixPath:
    """``<product>/<state folder>/<stem>__DOC.json``: the data file's path with the sibling suffix."""
    return dataset.storage_path.with_name(dataset.stem + DOC_SUFFIX)


def document_path(document: Document) -> PurePosixPath:
    return document_path_for(document.description.dataset)


def previous_document(catalog: Storage, storage: Storage, relative: PurePosixPath) -> bytes | None:
    """The document an earlier export wrote (the catalog folder's copy, else the one beside the data)."""
    for place in (catalog, storage):
        found = place.read_if_exists(relative)
        if found is not None:
            return found
    return None


def index_entry(document: Document) -> dict[str, Any]:
    dataset = document.description.dataset
    fields = document.description.fields
    return {
        "id": fields["id"],
        "product": dataset.product,
        "model": dataset.model,
        "version": dataset.version,
        "latest": dataset.version == dataset.latest_version,
        "short_name": fields["short_name"],
        "dataset_state": dataset.dataset_state,
        "assessment": dataset.assessment,
        "dataset_status": fields.get("dataset_status"),
        "file_path": fields["file_path"],
        "document": str(document_path(document)),
        "percentage_complete": document.description.percentage_complete,
        "metadata_last_updated_date": document.stamps.updated_date,
    }


def index_bytes(documents: list[Document]) -> bytes:
    entries = sorted((index_entry(document) for document in documents), key=lambda entry: entry["document"])
    index = {"documents": entries}
    return to_json(index, indent=2) + b"\n"


def write_files(documents: list[Document], storage: Storage, catalog: Storage) -> int:
    """The document beside each data file and the catalog folder with its index; how many files changed."""
    changed = 0
    for document in documents:
        relative = document_path(document)
        changed += storage.replace(relative, document.data)
        changed += catalog.replace(relative, document.data)
    changed += catalog.replace(INDEX, index_bytes(documents))
    return changed


def catalog_rows(documents: list[Document]) -> list[dict[str, Any]]:
    """One row per dataset version, with the document as JSON text."""
    rows = []
    for document in documents:
        entry = index_entry(document)
        rows.append(
            {
                "dataset_id": entry["id"],
                "product": entry["product"],
                "model": entry["model"],
                "version": entry["version"],
                "is_latest": entry["latest"],
                "short_name": entry["short_name"],
                "dataset_state": entry["dataset_state"],
                "assessment": entry["assessment"],
                "file_path": entry["file_path"],
                "metadata_last_updated": entry["metadata_last_updated_date"],
                "document": document.data.decode("utf-8"),
            }
        )
    return rows


def write_catalog_table(warehouse: Warehouse, documents: list[Document]) -> int:
    """Replace these dataset versions' rows in the warehouse catalog table; the number of rows written."""
    rows = catalog_rows(documents)
    warehouse.upsert(CATALOG_TABLE, rows)
    return len(rows)
