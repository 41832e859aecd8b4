"""Where the documents go: beside each data file, a catalog folder with an index, and a warehouse table.

Every file is written atomically (a temporary file in the same folder, then a rename) and only when its bytes
change, so an unchanged document keeps its file, its bytes and its modification time.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path, PurePosixPath
from typing import Any

from pydantic_core import to_json

from dataprodukt.datadoc.documents import Document
from dataprodukt.rules.identity import Dataset

DOC_SUFFIX = "__DOC.json"
CATALOG_SCHEMA = "katalog"
CATALOG_TABLE = "datadoc"


def atomic_write(path: Path, data: bytes, folders: set[Path] | None = None) -> bool:
    """Write ``data`` to ``path`` all at once; False when the file already holds exactly these bytes.

    ``folders`` remembers the folders already made within one export, to spare a system call per file.
    """
    try:
        with open(path, "rb") as existing:
            if existing.read() == data:
                return False
    except OSError:
        pass
    folder = path.parent
    if folders is None or folder not in folders:
        folder.mkdir(parents=True, exist_ok=True)
        if folders is not None:
            folders.add(folder)
    # a hidden name in the same folder (same file system), so the rename is atomic; the pid keeps runs apart
    temporary = folder / f".{path.name}.{os.getpid()}.tmp"
    try:
        handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            os.write(handle, data)
        finally:
            os.close(handle)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return True


def document_path_for(dataset: Dataset) -> PurePosixPath:
    """``<product>/<state folder>/<stem>__DOC.json``: the data file's path with the sibling suffix."""
    return dataset.storage_path.with_name(dataset.stem + DOC_SUFFIX)


def document_path(document: Document) -> PurePosixPath:
    return document_path_for(document.description.dataset)


def previous_document(catalog_dir: Path, storage_root: Path, relative: PurePosixPath) -> bytes | None:
    """The document an earlier export wrote (the catalog folder's copy, else the sidecar)."""
    for folder in (catalog_dir, storage_root):
        try:
            return (folder / relative).read_bytes()
        except OSError:
            continue
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


def write_files(documents: list[Document], storage_root: Path, catalog_dir: Path) -> int:
    """The sidecar beside each data file and the catalog folder with its index; how many files changed."""
    changed = 0
    folders: set[Path] = set()
    for document in documents:
        relative = document_path(document)
        changed += atomic_write(storage_root / relative, document.data, folders)
        changed += atomic_write(catalog_dir / relative, document.data, folders)
    changed += atomic_write(catalog_dir / "index.json", index_bytes(documents))
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


COLUMNS = (
    "dataset_id",
    "product",
    "model",
    "version",
    "is_latest",
    "short_name",
    "dataset_state",
    "assessment",
    "file_path",
    "metadata_last_updated",
    "document",
)


def write_duckdb_catalog(connection: Any, rows: list[dict[str, Any]], schema: str = CATALOG_SCHEMA) -> None:
    """Replace these dataset versions' rows in one transaction (DuckDB's JSON type holds the document)."""
    connection.execute("begin transaction")
    try:
        connection.execute(f"create schema if not exists {schema}")
        connection.execute(
            f"create table if not exists {schema}.{CATALOG_TABLE} (dataset_id varchar not null, product varchar, "
            "model varchar, version integer, is_latest boolean, short_name varchar, dataset_state varchar, "
            "assessment varchar, file_path varchar, metadata_last_updated timestamptz, document json)"
        )
        for row in rows:
            connection.execute(f"delete from {schema}.{CATALOG_TABLE} where dataset_id = ?", [row["dataset_id"]])
        if rows:
            connection.executemany(
                f"insert into {schema}.{CATALOG_TABLE} ({', '.join(COLUMNS)}) values ({', '.join('?' * len(COLUMNS))})",
                [[row[column] for column in COLUMNS] for row in rows],
            )
        connection.execute("commit")
    except BaseException:
        connection.execute("rollback")
        raise


def write_postgres_catalog(connection: Any, rows: list[dict[str, Any]], schema: str = CATALOG_SCHEMA) -> None:
    """Upsert these dataset versions' rows in one transaction (jsonb holds the document)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"create schema if not exists {schema}")
            cursor.execute(
                f"create table if not exists {schema}.{CATALOG_TABLE} (dataset_id uuid primary key, product text, "
                "model text, version integer, is_latest boolean, short_name text, dataset_state text, "
                "assessment text, file_path text, metadata_last_updated timestamptz, document jsonb not null)"
            )
            updates = ", ".join(f"{column} = excluded.{column}" for column in COLUMNS[1:])
            cursor.executemany(
                f"insert into {schema}.{CATALOG_TABLE} ({', '.join(COLUMNS)}) values "
                f"({', '.join(['%s'] * len(COLUMNS))}) on conflict (dataset_id) do update set {updates}",
                [[row[column] for column in COLUMNS] for row in rows],
            )
        connection.commit()
    except BaseException:
        connection.rollback()
        raise


BIGQUERY_SCHEMA = (
    ("dataset_id", "STRING", "REQUIRED"),
    ("product", "STRING", "NULLABLE"),
    ("model", "STRING", "NULLABLE"),
    ("version", "INT64", "NULLABLE"),
    ("is_latest", "BOOL", "NULLABLE"),
    ("short_name", "STRING", "NULLABLE"),
    ("dataset_state", "STRING", "NULLABLE"),
    ("assessment", "STRING", "NULLABLE"),
    ("file_path", "STRING", "NULLABLE"),
    ("metadata_last_updated", "TIMESTAMP", "NULLABLE"),
    ("document", "JSON", "NULLABLE"),
)


def write_bigquery_catalog(client: Any, dataset: str, rows: list[dict[str, Any]], location: str | None = None) -> None:
    """Load the rows with a load job into a staging table, then MERGE them into ``<dataset>.datadoc``.

    ``client`` is a ``google.cloud.bigquery.Client``; ``dataset`` is ``<project>.<dataset>``; ``location`` the
    region a new dataset is made in. A load job (not streaming inserts) so the rows can be merged at once and
    the table is never half written.
    """
    from google.cloud import bigquery

    schema = [bigquery.SchemaField(name, kind, mode=mode) for name, kind, mode in BIGQUERY_SCHEMA]
    created = bigquery.Dataset(dataset)
    if location:
        created.location = location  # beside the product's other datasets, so the MERGE runs in one region
    client.create_dataset(created, exists_ok=True)
    target = f"{dataset}.{CATALOG_TABLE}"
    staging = f"{dataset}.{CATALOG_TABLE}_innlasting"
    client.create_table(bigquery.Table(target, schema=schema), exists_ok=True)
    payload = [{**row, "document": json.loads(row["document"])} for row in rows]
    job_config = bigquery.LoadJobConfig(
        schema=schema,
        write_disposition=bigquery.WriteDisposition.WRITE_TRUNCATE,
        source_format=bigquery.SourceFormat.NEWLINE_DELIMITED_JSON,
    )
    data = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in payload).encode("utf-8")
    # from a file of unknown size the client makes a resumable upload (load_table_from_json sends a multipart
    # one, which the BigQuery emulator refuses); the same load job on BigQuery itself
    client.load_table_from_file(io.BytesIO(data), staging, job_config=job_config).result()
    updates = ", ".join(f"{name} = source.{name}" for name, _, _ in BIGQUERY_SCHEMA[1:])
    names = ", ".join(name for name, _, _ in BIGQUERY_SCHEMA)
    client.query(
        f"merge `{target}` as target using `{staging}` as source on target.dataset_id = source.dataset_id "
        f"when matched then update set {updates} "
        f"when not matched then insert ({names}) values ({names})"
    ).result()
    client.delete_table(staging, not_found_ok=True)
