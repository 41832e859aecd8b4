"""A Frictionless Data Package (``datapackage.json``) for each product's published files.

Resources are the exported parquet files (paths relative to ``<storage root>/<product>/``), their table schemas
and descriptions come from the same descriptions as the Datadoc documents, and the package's licence and
contributors from the ``datapackage`` block of the project's vars in dbt_project.yml.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Any

from pydantic_core import to_json

from dataprodukt.core.storage import Storage
from dataprodukt.datadoc.describe import DatasetDescription
from dataprodukt.datadoc.types import table_schema_type

PACKAGE_FILE = "datapackage.json"
DEFAULT_LICENSE = {"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/"}


def _nb(items: list[dict[str, str]] | None) -> str | None:
    for item in items or []:
        if item["languageCode"] == "nb":
            return item["languageText"]
    return (items or [{}])[0].get("languageText") if items else None


def _name(text: str) -> str:
    """Frictionless names are lower case letters, digits and ``-._``."""
    return re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-")


def resource(description: DatasetDescription) -> dict[str, Any]:
    dataset = description.dataset
    fields = []
    for variable in description.variables:
        field: dict[str, Any] = {"name": variable.short_name, "type": table_schema_type(variable.kind)}
        title = _nb(variable.fields["name"])
        if title and title != variable.short_name:
            field["title"] = title
        text = _nb(variable.fields["comment"])
        if text:
            field["description"] = text
        fields.append(field)
    schema: dict[str, Any] = {"fields": fields}
    grain = (dataset.node.get("config", {}).get("meta") or {}).get("grain")
    names = {variable.short_name for variable in description.variables}
    if isinstance(grain, list) and grain and set(grain) <= names:
        schema["primaryKey"] = list(grain)
    entry: dict[str, Any] = {
        "name": _name(dataset.stem),
        "type": "table",
        "path": f"{dataset.storage_folder}/{dataset.stem}.parquet",
        "scheme": "file",
        "format": "parquet",
        "mediatype": "application/vnd.apache.parquet",
        "title": _nb(description.fields["name"]) or dataset.model,
        "schema": schema,
    }
    text = _nb(description.fields["description"])
    if text:
        entry["description"] = text
    return entry


def descriptor(product: str, descriptions: list[DatasetDescription], config: dict[str, Any]) -> dict[str, Any]:
    """The package descriptor; ``config`` is the ``datapackage`` block of the project's vars."""
    package: dict[str, Any] = {
        "name": _name(str(config.get("name") or product)),
        "title": str(config.get("title") or product),
    }
    if config.get("description"):
        package["description"] = str(config["description"])
    package["licenses"] = list(config.get("licenses") or [DEFAULT_LICENSE])
    if config.get("contributors"):
        package["contributors"] = list(config["contributors"])
    if config.get("keywords"):
        package["keywords"] = list(config["keywords"])
    package["resources"] = [resource(description) for description in descriptions]
    return package


def package_bytes(product: str, descriptions: list[DatasetDescription], config: dict[str, Any]) -> bytes:
    return to_json(descriptor(product, descriptions, config), indent=2) + b"\n"


def write_packages(
    storage: Storage, descriptions: list[DatasetDescription], config: dict[str, Any]
) -> tuple[list[PurePosixPath], int]:
    """One ``datapackage.json`` per product, for its stable (v1 and up) dataset versions; paths and changes."""
    products: dict[str, list[DatasetDescription]] = {}
    for description in descriptions:
        if description.dataset.is_stable:
            products.setdefault(description.dataset.product, []).append(description)
    written, changed = [], 0
    for product, members in sorted(products.items()):
        path = PurePosixPath(product, PACKAGE_FILE)
        changed += storage.replace(path, package_bytes(product, members, config))
        written.append(path)
    return written, changed
