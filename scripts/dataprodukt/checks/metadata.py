"""Datadoc metadata gate: every published model has the obligatory fields of its data state, within limits.

Per published model version: meta values outside Datadoc's enums, obligatory fields still missing (placeholders
such as "TODO" count as missing), descriptions longer than BigQuery takes (1,024 characters for a column). v0
drafts are reported in the completeness notes but do not fail. Column types come from target/catalog.json when
it is there, else from the contract's data_type.
"""

from __future__ import annotations

import json
from typing import Any

from dataprodukt.checks import CheckContext, Violation
from dataprodukt.datadoc.describe import describe
from dataprodukt.datadoc.exporter import personal_data_classes
from dataprodukt.datadoc.lineage import Lineage
from dataprodukt.rules.identity import published_datasets

NAME = "metadata"


def _catalog(context: CheckContext) -> dict[str, Any]:
    path = context.project.target_dir / "catalog.json"
    try:
        catalog: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return catalog
    except (OSError, ValueError):
        return {}


def _path(node: dict[str, Any]) -> str:
    return str(node.get("patch_path") or node.get("original_file_path") or "").split("://", 1)[-1]


def run(context: CheckContext) -> list[Violation]:
    catalog_nodes = _catalog(context).get("nodes") or {}
    lineage = Lineage(context.manifest, personal_data_classes(context.manifest))
    violations = []
    completeness = []
    for dataset in published_datasets(context.manifest):
        columns = (catalog_nodes.get(dataset.unique_id) or {}).get("columns") or {}
        description = describe(dataset, columns, lineage, "")
        label = f"{dataset.model}_v{dataset.version}" if dataset.version is not None else dataset.model
        path = _path(dataset.node)
        completeness.append(f"{label} {description.percentage_complete}%")
        for problem in description.problems:
            subject = f"column {problem.column}: {problem.field}" if problem.column else problem.field
            violations.append(
                Violation(
                    label,
                    path,
                    None,
                    subject,
                    f"meta value {problem.value!r} is not one of {', '.join(problem.allowed)}",
                    NAME,
                )
            )
        for finding in description.findings:
            if not dataset.is_stable and finding.rule.startswith("missing"):
                continue  # a v0 draft may be incomplete
            subject = f"column {finding.column}: {finding.field}" if finding.column else finding.field
            violations.append(Violation(label, path, None, subject, finding.rule, NAME))
    if completeness:
        context.notes.append("Datadoc completeness (obligatory fields filled): " + ", ".join(completeness))
    return violations
