"""The code that makes a published dataset, as far as it decides the data, and its fingerprints.

- ``NodeCode``: one model, seed or snapshot reduced to what can change data: a model's compiled SQL in its normal
  form (rules/normalised_sql.py) and its contract's columns; a seed's file content and column types; a snapshot's
  query and history settings. Descriptions, meta, comments and layout are kept apart (``metadata``, ``text``), so
  a change to them is seen, and known not to change data.
- ``code_fingerprint``: sha256 over a node's code fingerprint and those of everything upstream (sources are data,
  not code). The register keeps it for each published version.
- ``sql_fingerprint``: md5 of a model's compiled SQL text (key material masked) and declared columns, as the
  ``published_table`` materialization computes it in Jinja (macros/versioning/sql_fingerprint.sql): the build's
  own check, which can compare text only.

The stored manifest of a publication keeps each node's ``NodeCode`` under ``normalised_code`` (its compiled SQL is
removed, see basis.shareable_manifest), so a later change is classified against it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from dataprodukt.rules.normalised_sql import (
    dialect_of,
    mask_key_material,
    normalise,
    relation_tokens,
)

CODE_KINDS = ("model", "seed", "snapshot")
STORED_KEY = "normalised_code"
# a seed's rows are kept for saying which changed, up to this size
SEED_TEXT_LIMIT = 200_000
MODEL_CONFIG = ("materialized", "unique_key", "incremental_strategy")
SEED_CONFIG = ("column_types", "delimiter", "quote_columns")
SNAPSHOT_CONFIG = (
    "unique_key",
    "strategy",
    "updated_at",
    "check_cols",
    "hard_deletes",
    "invalidate_hard_deletes",
    "snapshot_meta_column_names",
    "dbt_valid_to_current",
)


@dataclass(frozen=True)
class NodeCode:
    """What of one node can change data, and digests of what cannot."""

    unique_id: str
    kind: str
    name: str
    file: str
    code: str
    readable: str
    columns: list[tuple[str, str]] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)
    parents: list[str] = field(default_factory=list)
    text: str = ""
    metadata: str = ""
    # sha256 of the compiled SQL (key material masked): the same text has the same normal form, reused as it is
    compiled: str = ""

    @property
    def fingerprint(self) -> str:
        data = json.dumps([self.kind, self.code, self.columns, self.config], sort_keys=True, default=str)
        return hashlib.sha256(data.encode("utf-8")).hexdigest()

    @property
    def label(self) -> str:
        return f"{self.kind} {self.name}"

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "columns": [list(column) for column in self.columns]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NodeCode:
        values = dict(data)
        values["columns"] = [(str(name), str(kind)) for name, kind in values.get("columns") or []]
        return cls(**{key: values[key] for key in cls.__dataclass_fields__ if key in values})


def node_codes(manifest: dict[str, Any], known: dict[str, NodeCode] | None = None) -> dict[str, NodeCode]:
    """Every model, seed and snapshot of the manifest: from its compiled SQL, or as stored at a publication.
    A node whose compiled SQL is the text of one in ``known`` (e.g. the publication's) takes its normal form."""
    dialect = dialect_of(manifest)
    tokens = relation_tokens(manifest)
    codes = {}
    for unique_id, node in manifest.get("nodes", {}).items():
        kind = node.get("resource_type")
        if kind not in CODE_KINDS:
            continue
        stored = node.get(STORED_KEY)
        if isinstance(stored, dict):
            codes[unique_id] = NodeCode.from_json(stored)
            continue
        same = (known or {}).get(unique_id)
        codes[unique_id] = node_code(unique_id, node, dialect, tokens, same)
    return codes


def node_code(
    unique_id: str,
    node: dict[str, Any],
    dialect: str | None,
    tokens: dict[tuple[str, ...], str],
    known: NodeCode | None = None,
) -> NodeCode:
    kind = str(node.get("resource_type"))
    config = node.get("config") or {}
    common: dict[str, Any] = {
        "unique_id": unique_id,
        "kind": kind,
        "name": str(node.get("name")) + (f" v{node['version']}" if node.get("version") is not None else ""),
        "file": str(node.get("original_file_path") or ""),
        "parents": sorted(
            parent for parent in (node.get("depends_on") or {}).get("nodes", []) if parent.startswith(CODE_KINDS)
        ),
        "text": _digest(node.get("raw_code") or (node.get("checksum") or {}).get("checksum") or ""),
        "metadata": _digest(_metadata(node)),
    }
    if kind == "seed":
        content = _seed_text(node)
        return NodeCode(
            code=str((node.get("checksum") or {}).get("checksum") or _digest(content)),
            readable=content if len(content) <= SEED_TEXT_LIMIT else "",
            config=_picked(config, SEED_CONFIG),
            **common,
        )
    sql = node.get("compiled_code")
    common["compiled"] = _digest(mask_key_material(str(sql).strip())) if sql else ""
    if known is not None and common["compiled"] and known.compiled == common["compiled"]:
        code, readable = known.code, known.readable  # the same text: the same normal form
    else:
        normal = normalise(str(sql), dialect, tokens) if sql else None
        raw = " ".join(mask_key_material(str(node.get("raw_code") or "")).split())
        code = normal.canonical if normal else "raw:" + raw
        readable = normal.readable if normal else code
    if kind == "snapshot":
        return NodeCode(code=code, readable=readable, config=_picked(config, SNAPSHOT_CONFIG), **common)
    contract = bool((config.get("contract") or {}).get("enforced"))
    columns = [(str(name), str(column.get("data_type") or "")) for name, column in (node.get("columns") or {}).items()]
    incremental = config.get("materialized") == "incremental"
    return NodeCode(
        code=code,
        readable=readable,
        columns=columns if contract else [],
        config=_picked(config, MODEL_CONFIG) if incremental else {},
        **common,
    )


def has_compiled_code(manifest: dict[str, Any]) -> bool:
    """Whether every model of the manifest has its code: compiled SQL, or the normal form stored at publication."""
    models = [node for node in manifest.get("nodes", {}).values() if node.get("resource_type") == "model"]
    return all(node.get("compiled_code") or isinstance(node.get(STORED_KEY), dict) for node in models)


def closure(codes: dict[str, NodeCode], unique_id: str) -> list[str]:
    """The node and every model, seed and snapshot upstream of it, each once, upstream first."""
    order: list[str] = []
    seen: set[str] = set()

    def visit(current: str) -> None:
        if current in seen or current not in codes:
            return
        seen.add(current)
        for parent in codes[current].parents:
            visit(parent)
        order.append(current)

    visit(unique_id)
    return order


def code_fingerprint(source: dict[str, Any], unique_id: str, _memo: dict[str, str] | None = None) -> str:
    """The fingerprint of a node's code and of everything upstream of it; ``source`` is a manifest or its
    ``node_codes``."""
    codes: dict[str, NodeCode] = node_codes(source) if "nodes" in source else source
    memo = {} if _memo is None else _memo
    if unique_id in memo:
        return memo[unique_id]
    own = codes.get(unique_id)
    if own is None:
        return ""
    memo[unique_id] = ""  # a cycle (never in dbt) ends here
    parents = sorted(code_fingerprint(codes, parent, memo) for parent in own.parents)
    memo[unique_id] = hashlib.sha256("\n".join([own.fingerprint, *parents]).encode("utf-8")).hexdigest()
    return memo[unique_id]


def sql_fingerprint(node: dict[str, Any]) -> str:
    """md5 of the compiled SQL (key material masked) and ``name:data_type`` per declared column."""
    lines = [f"{name}:{column.get('data_type') or ''}" for name, column in (node.get("columns") or {}).items()]
    text = mask_key_material(str(node.get("compiled_code") or "").strip()) + "\n" + "\n".join(lines)
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _picked(config: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {key: config.get(key) for key in keys if config.get(key) not in (None, {}, [])}


def _metadata(node: dict[str, Any]) -> str:
    columns = {
        name: [column.get("description"), column.get("meta"), (column.get("config") or {}).get("meta")]
        for name, column in (node.get("columns") or {}).items()
    }
    meta = {**((node.get("config") or {}).get("meta") or {}), **(node.get("meta") or {})}
    return json.dumps([node.get("description"), meta, columns, node.get("docs")], sort_keys=True, default=str)


def _seed_text(node: dict[str, Any]) -> str:
    path = Path(str(node.get("root_path") or ".")) / str(node.get("original_file_path") or "")
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return ""
