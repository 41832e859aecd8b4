"""Where dbt built a model: read from the manifest, since published relations are named by the project's macros."""

from __future__ import annotations

import json
from pathlib import Path


def relation_name(root: Path, model: str, quoted: bool = True) -> str:
    """The relation of a model's latest version, e.g. "sykefravaer_statistikk"."sykefravaersprosent_p2024_q1_..."."""
    manifest = json.loads((root / "target" / "manifest.json").read_text())
    nodes = [node for node in manifest["nodes"].values() if node["resource_type"] == "model" and node["name"] == model]
    if not nodes:
        raise AssertionError(f"no model {model!r} in {root / 'target' / 'manifest.json'}")
    latest = max(nodes, key=lambda node: node.get("version") or 0)
    if quoted:
        return str(latest["relation_name"])
    return f"{latest['schema']}.{latest['alias']}"
