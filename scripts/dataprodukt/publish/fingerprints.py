"""Fingerprints of the code that made a published dataset, so a change to it (or upstream of it) shows.

- ``sql_fingerprint``: md5 of the model's compiled SQL and its declared columns (``name:data_type`` lines); the
  ``published_table`` materialization computes the same in Jinja (macros/versioning/sql_fingerprint.sql).
- ``code_fingerprint``: sha256 of the sql fingerprint and the fingerprints of every upstream model, seed and
  snapshot definition, so a change anywhere upstream in the code shows.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def sql_fingerprint(node: dict[str, Any]) -> str:
    lines = [f"{name}:{column.get('data_type') or ''}" for name, column in (node.get("columns") or {}).items()]
    text = str(node.get("compiled_code") or "").strip() + "\n" + "\n".join(lines)
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def code_fingerprint(manifest: dict[str, Any], unique_id: str, _memo: dict[str, str] | None = None) -> str:
    """The fingerprint of a node's code and of everything upstream of it (sources are data, not code)."""
    memo = {} if _memo is None else _memo
    if unique_id in memo:
        return memo[unique_id]
    node = manifest.get("nodes", {}).get(unique_id)
    if node is None:
        return ""
    if node.get("resource_type") == "model":
        own = sql_fingerprint(node)
    else:  # seeds (code lists) and snapshot definitions: dbt's checksum of the file
        own = str((node.get("checksum") or {}).get("checksum", "")) + json.dumps(
            node.get("config", {}).get("unique_key"), sort_keys=True
        )
    parents = sorted(
        code_fingerprint(manifest, parent, memo)
        for parent in (node.get("depends_on") or {}).get("nodes", [])
        if parent.startswith(("model.", "seed.", "snapshot."))
    )
    memo[unique_id] = hashlib.sha256("\n".join([own, *parents]).encode("utf-8")).hexdigest()
    return memo[unique_id]
