"""Datadoc documents built with ssb-datadoc-model's pydantic classes and validated before anything is written.

Stable versions (v1 and up) are validated with the strict ``required`` model, v0 drafts with ``all_optional``.
The file is Datadoc's container (``{"document_version": ..., "datadoc": {...}}``) as JSON, UTF-8, keys in the
model's order, empty fields left out; the same content always gives the same bytes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from datadoc_model.all_optional import model as optional
from datadoc_model.required import model as strict
from pydantic import ValidationError

from dataprodukt.datadoc.describe import DatasetDescription
from dataprodukt.datadoc.stamps import History, Stamps, new_stamps

Container = strict.MetadataContainer | optional.MetadataContainer


@dataclass(frozen=True)
class Document:
    description: DatasetDescription
    container: Container
    data: bytes
    stamps: Stamps

    @property
    def strict(self) -> bool:
        return isinstance(self.container, strict.MetadataContainer)


class DocumentError(Exception):
    """A document that does not validate; the message names the model, the column and the field."""


def content(description: DatasetDescription, stamps: Stamps) -> dict[str, Any]:
    variables = [
        {key: value for key, value in variable.fields.items() if not key.startswith("_") and value is not None}
        for variable in description.variables
    ]
    dataset = {key: value for key, value in description.fields.items() if value is not None}
    dataset.update(stamps.as_fields())
    return {
        "datadoc": {
            "percentage_complete": description.percentage_complete,
            "dataset": dataset,
            "variables": variables,
        }
    }


def validate(description: DatasetDescription, stamps: Stamps) -> Document:
    module = strict if description.dataset.is_stable else optional
    try:
        container = module.MetadataContainer.model_validate(content(description, stamps))
    except ValidationError as error:
        raise DocumentError(_explain(description, error)) from error
    data = (container.model_dump_json(indent=2, exclude_none=True) + "\n").encode("utf-8")
    return Document(description, container, data, stamps)


def build(description: DatasetDescription, previous: bytes | None, history: History) -> Document:
    """The document, keeping the previous stamps when nothing else changed (so the bytes stay the same)."""
    before = previous_stamps(previous)
    if before is not None:
        document = validate(description, before)
        if document.data == previous:
            return document
    node = description.dataset.node
    files = [str(node.get("original_file_path") or ""), str(node.get("patch_path") or "").split("://", 1)[-1]]
    return validate(description, new_stamps(before, history, [path for path in files if path]))


_STAMP = re.compile(rb'"(metadata_(?:created|last_updated)_(?:date|by))": ("(?:[^"\\]|\\.)*")')


def previous_stamps(previous: bytes | None) -> Stamps | None:
    """The stamps of an earlier document, read without parsing all of it (the export reads one per dataset)."""
    if not previous:
        return None
    found = {match[1].decode(): json.loads(match[2]) for match in _STAMP.finditer(previous)}
    return Stamps.from_fields(found)


def _explain(description: DatasetDescription, error: ValidationError) -> str:
    dataset = description.dataset
    messages = []
    for item in error.errors():
        location = [part for part in item["loc"] if part not in {"datadoc", "root"}]
        where = f"model {dataset.model} v{dataset.version}"
        if len(location) >= 2 and location[0] == "variables" and isinstance(location[1], int):
            where += f", column {description.variables[location[1]].short_name}"
            location = location[2:]
        elif location and location[0] == "dataset":
            location = location[1:]
        field = ".".join(str(part) for part in location if not isinstance(part, int)) or "document"
        value = item.get("input")
        shown = f" {value!r}" if value is not None and not isinstance(value, (dict, list)) else ""
        messages.append(f"{where}: {field}{shown}: {item['msg']}")
    return "; ".join(dict.fromkeys(messages))
