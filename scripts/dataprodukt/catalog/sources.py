"""What the catalog page is made of, read from where each fact lives.

- Datadoc documents: ``<stem>__DOC.json`` beside the data files in storage, one per dataset version;
- the publication register, through the publish step's own reader (``publish.register``): which versions are
  published, with row count, checksum, commit and time;
- dbt's manifest.json: descriptions, columns and lineage (upstream and downstream), and the metadata of a version
  that has no Datadoc document yet;
- the run log (``drift``): the latest run status per model.
Each reader says nothing is there rather than failing: the page shows what exists.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from dataprodukt.core.storage import Storage
from dataprodukt.publish.register import Record, stored_records
from dataprodukt.rules.naming_standard import SIBLING, parse_dataset_name

DOC_SUFFIX = "__DOC.json"


def parse_stem(stem: str) -> dict[str, Any] | None:
    """``sykefravaer_p2024-Q1_p2024-Q4_v1`` -> description, periods and version (None when not an SSB name)."""
    name, _problems = parse_dataset_name(stem)
    if name is None:
        return None
    return {
        "description": name.description,
        "period_from": name.periods[0].text,
        "period_to": name.periods[-1].text if len(name.periods) > 1 else None,
        "version": name.version,
    }


def datadoc_documents(storage: Storage, product: str) -> dict[str, dict[str, Any]]:
    """The product's Datadoc documents in storage, by dataset stem (``datadoc``: the document, ``path``: its
    path below the storage root)."""
    found: dict[str, dict[str, Any]] = {}
    for path in storage.walk(product):
        sibling = SIBLING.match(path.rsplit("/", 1)[-1])
        if not sibling or sibling["kind"] != "DOC" or parse_stem(sibling["stem"]) is None:
            continue
        datadoc = _datadoc_part(_read_json(storage, path))
        if datadoc is not None:
            found[sibling["stem"]] = {"datadoc": datadoc, "path": path}
    return found


def _datadoc_part(document: Any) -> dict[str, Any] | None:
    """The ``datadoc`` part of a MetadataContainer (or a bare DatadocMetadata document)."""
    if not isinstance(document, dict):
        return None
    datadoc = document.get("datadoc", document)
    if not isinstance(datadoc, dict) or not isinstance(datadoc.get("dataset"), dict):
        return None
    return datadoc


def _read_json(storage: Storage, path: str) -> Any:
    try:
        return json.loads(storage.read_bytes(path))
    except (OSError, ValueError) as error:
        print(f"dataprodukt catalog: skipped {storage.uri(path)}: not readable JSON ({error})", file=sys.stderr)
        return None


def register_records(storage: Storage, product: str) -> dict[str, Record]:
    """The publication register as publish wrote it, by dataset stem; empty when nothing is published."""
    try:
        return {record.dataset: record for record in stored_records(storage, product)}
    except (OSError, ValueError, TypeError) as error:  # the page is built without it; say so
        print(f"dataprodukt catalog: publication register not read from {storage.root}: {error}", file=sys.stderr)
        return {}


def lineage(manifest: dict[str, Any], unique_id: str) -> dict[str, list[dict[str, str]]]:
    """Direct upstream and downstream nodes (tests left out) and every source the node is built from."""
    parents = manifest.get("parent_map") or {}
    children = manifest.get("child_map") or {}

    def describe(node_id: str) -> dict[str, str]:
        node = (manifest.get("nodes") or {}).get(node_id) or (manifest.get("sources") or {}).get(node_id) or {}
        kind = node_id.split(".", 1)[0]
        if kind == "source":
            name = f"{node.get('source_name', '')}.{node.get('name', '')}"
        else:
            version = node.get("version")
            name = str(node.get("name", node_id.split(".")[-1])) + (f" v{version}" if version is not None else "")
        return {"id": node_id, "name": name, "type": kind, "description": str(node.get("description") or "")}

    def wanted(node_id: str) -> bool:
        return node_id.split(".", 1)[0] in {"model", "seed", "snapshot", "source", "exposure"}

    upstream = [describe(item) for item in parents.get(unique_id, []) if wanted(item)]
    downstream = [describe(item) for item in children.get(unique_id, []) if wanted(item)]
    sources: set[str] = set()
    seen: set[str] = set()
    pending = list(parents.get(unique_id, []))
    while pending:
        item = pending.pop()
        if item in seen:
            continue
        seen.add(item)
        if item.startswith("source."):
            sources.add(item)
        pending += parents.get(item, [])
    return {
        "upstream": sorted(upstream, key=lambda node: node["name"]),
        "downstream": sorted(downstream, key=lambda node: node["name"]),
        "sources": sorted((describe(item) for item in sources), key=lambda node: node["name"]),
    }
