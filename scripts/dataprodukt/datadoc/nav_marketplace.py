"""A dataset description in the shape of NAV's data marketplace (Datamarkedsplassen, navikt/nada-backend), with
its personal-data level and per-column tags from the project's privacy classification.

One dataset per published model, pointing at its latest view (``<schema>.<model>``), kept up to date rather than
added again: the data product's datasets are read first (``GET /api/dataproducts/<id>``); a dataset of the same name
is updated (``PUT /api/datasets/<id>`` with nada-backend's ``UpdateDatasetDto``), a new one is created
(``POST /api/datasets/new`` with its ``NewDataset``: ``dataproductID``, ``name``, ``description``, ``keywords``,
``pii`` and ``bigquery``: ``projectID``, ``dataset``, ``table``, ``piiTags``, a JSON text mapping column -> tag).
From the column lineage (``rules.personal_data``):

- ``pii: sensitive`` when a column holds personal data; its columns are tagged ``PII_DirekteIdentifiserende``
  (personal, not pseudonymised), else ``PII_KanVæreIndirekteIdentifiserende`` (a pseudonym, and in data about
  persons any other column, as NAV's form has it);
- ``pii: anonymised`` when no column does but the model is built from personal data (aggregated, with small cells
  suppressed), with ``anonymisationDescription`` saying so;
- ``pii: none`` otherwise.
"""

from __future__ import annotations

import json
from typing import Any

from dataprodukt.core.errors import UserError
from dataprodukt.datadoc.http_client import Response, request
from dataprodukt.rules.column_origin import NOT_PERSONAL, PERSONAL
from dataprodukt.rules.identity import Dataset, node_meta, published_datasets

WHAT = "NAV's data marketplace"
DIRECT = "PII_DirekteIdentifiserende"
INDIRECT = "PII_KanVæreIndirekteIdentifiserende"
ANONYMISED = (
    "Aggregert fra personopplysninger; celler med færre personer enn terskelen (var suppression_threshold) og "
    "celler som kan regnes ut fra dem, er prikket (makroen suppress_small_cells)."
)

Classes = dict[tuple[str, str], tuple[str, str | None]]


def _built_from_personal_data(manifest: dict[str, Any], classes: Classes, unique_id: str) -> bool:
    parents = manifest.get("parent_map") or {}
    personal = {node for (node, _column), (klass, _up) in classes.items() if klass != NOT_PERSONAL}
    seen: set[str] = set()
    pending = list(parents.get(unique_id, []))
    while pending:
        node = pending.pop()
        if node in seen:
            continue
        seen.add(node)
        if node in personal:
            return True
        pending += parents.get(node, [])
    return False


def pii(manifest: dict[str, Any], classes: Classes, dataset: Dataset) -> tuple[str, dict[str, str]]:
    """The dataset's level (sensitive, anonymised, none) and, when sensitive, every column's tag."""
    columns = [str(name).lower() for name in dataset.node.get("columns") or {}]
    found = {column: classes.get((dataset.unique_id, column), (NOT_PERSONAL, None))[0] for column in columns}
    if any(klass != NOT_PERSONAL for klass in found.values()):
        return "sensitive", {column: DIRECT if klass == PERSONAL else INDIRECT for column, klass in found.items()}
    if _built_from_personal_data(manifest, classes, dataset.unique_id):
        return "anonymised", {}
    return "none", {}


def _latest(manifest: dict[str, Any]) -> list[Dataset]:
    newest: dict[str, Dataset] = {}
    for dataset in published_datasets(manifest):
        if dataset.is_stable and (
            dataset.model not in newest or (dataset.version or 0) > (newest[dataset.model].version or 0)
        ):
            newest[dataset.model] = dataset
    return [newest[model] for model in sorted(newest)]


def descriptions(manifest: dict[str, Any], classes: Classes, config: dict[str, Any]) -> list[dict[str, Any]]:
    """One NewDataset body per published model's newest stable version."""
    found = []
    for dataset in _latest(manifest):
        meta = node_meta(dataset.node)
        level, tags = pii(manifest, classes, dataset)
        keywords = meta.get("keyword") or []
        body: dict[str, Any] = {
            "dataproductID": str(config["dataproduct_id"]),
            "name": str(meta.get("name") or dataset.model),
            "description": str(dataset.node.get("description") or ""),
            "keywords": [str(word) for word in (keywords if isinstance(keywords, list) else str(keywords).split(","))],
            "pii": level,
            "bigquery": {
                "projectID": str(config["bigquery_project"]),
                "dataset": str(dataset.node["schema"]),
                "table": dataset.model,
                "piiTags": json.dumps(tags, ensure_ascii=False) if tags else None,
            },
        }
        if config.get("repo"):
            body["repo"] = str(config["repo"])
        if level == "anonymised":
            body["anonymisationDescription"] = ANONYMISED
        found.append(body)
    return found


def address(config: dict[str, Any]) -> str:
    """The marketplace's address (``url``; a ``/api/datasets/new`` written after it is tolerated)."""
    url = str(config["url"]).rstrip("/")
    return url.removesuffix("/api/datasets/new")


def existing(config: dict[str, Any], token: str | None) -> dict[str, str]:
    """The data product's datasets in the marketplace: name -> id."""
    url = f"{address(config)}/api/dataproducts/{config['dataproduct_id']}"
    answer = request("GET", url, None, {"Accept": "application/json"}, token, WHAT)
    found = answer.json() or {}
    if not isinstance(found, dict):
        raise UserError(
            f"{WHAT}: GET {url} answered {str(found)[:80]!r}, not a data product: check url and dataproduct_id"
        )
    return {str(item["name"]): str(item["id"]) for item in found.get("datasets") or [] if item.get("id")}


def update_body(body: dict[str, Any]) -> dict[str, Any]:
    """A NewDataset body as nada-backend's UpdateDatasetDto (the BigQuery source stays as it was created)."""
    update = {key: value for key, value in body.items() if key != "bigquery"}
    update["piiTags"] = body["bigquery"]["piiTags"]
    return update


def push(config: dict[str, Any], bodies: list[dict[str, Any]], token: str | None) -> list[tuple[str, str, Response]]:
    """Update the datasets the data product has, create the others: (name, method, answer) per dataset."""
    known = existing(config, token)
    sent = []
    for body in bodies:
        if body["name"] in known:
            method, url, payload = "PUT", f"{address(config)}/api/datasets/{known[body['name']]}", update_body(body)
        else:
            method, url, payload = "POST", f"{address(config)}/api/datasets/new", body
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        answer = request(method, url, data, {"Content-Type": "application/json"}, token, WHAT)
        sent.append((body["name"], method, answer))
    return sent
