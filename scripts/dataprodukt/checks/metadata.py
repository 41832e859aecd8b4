"""Datadoc metadata gate: every published model has the obligatory fields of its data state, within limits, with
codes from the code lists.

Per published model version: meta values outside Datadoc's enums, obligatory fields still missing (placeholders
such as "TODO" count as missing), descriptions longer than BigQuery takes (1,024 characters for a column), and coded
values that are not in the project's code lists (``codelists/``: unit_type, subject_field, data_source, and the
KLASS id of a classification link), each with the closest codes. v0 drafts are reported in the completeness notes
but do not fail. Column types come from target/catalog.json when it is there, else from the contract's data_type.
The completeness in the notes is Statistics Norway's reader's ``percent_complete``.
"""

from __future__ import annotations

import json
from typing import Any

from dataprodukt.checks import CheckContext, Violation
from dataprodukt.datadoc import code_lists, links
from dataprodukt.datadoc.describe import DatasetDescription
from dataprodukt.datadoc.exporter import describe_datasets

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


def code_problems(description: DatasetDescription, lists: code_lists.CodeLists) -> list[code_lists.CodeProblem]:
    """Coded values not in their lists: the model's own (and its folder's) values once, a column's where it differs."""
    dataset = description.dataset
    meta = {**(dataset.node.get("config") or {}).get("meta", {}), **(dataset.node.get("meta") or {})}
    model = dataset.model
    found = [lists.check(model, None, name, meta.get(name)) for name in ("unit_type", "data_source", "subject_field")]
    for variable in description.variables:
        for name in ("unit_type", "data_source"):
            value = variable.fields.get(name)
            if value is not None and str(value).strip() != str(meta.get(name) or "").strip():
                found.append(lists.check(model, variable.short_name, name, value))
        klass = links.klass_id(variable.fields.get("classification_uri"))
        if klass is not None:
            found.append(
                lists.check(model, variable.short_name, code_lists.CLASSIFICATIONS, str(klass), "classification_uri")
            )
    return [problem for problem in found if problem is not None]


def run(context: CheckContext) -> list[Violation]:
    catalog_nodes = _catalog(context).get("nodes") or {}
    seeds = code_lists.seed_classifications(context.manifest)
    lists = code_lists.load(context.project.root).with_classifications(seeds)
    descriptions = describe_datasets(
        context.manifest,
        lambda unique_id: (catalog_nodes.get(unique_id) or {}).get("columns") or {},
        "",
        context.storage,
        context.project.variables,
    )
    violations = []
    completeness = []
    for description in descriptions:
        dataset = description.dataset
        label = f"{dataset.model}_v{dataset.version}" if dataset.version is not None else dataset.model
        path = _path(dataset.node)
        completeness.append(f"{label} {description.percentage_complete}%")
        for problem in description.problems:
            subject = f"column {problem.column}: {problem.field}" if problem.column else problem.field
            rule = f"meta value {problem.value!r} is not one of {', '.join(problem.allowed)}{problem.hint}"
            violations.append(Violation(label, path, None, subject, rule, NAME))
        for coded in code_problems(description, lists):
            subject = f"column {coded.column}: {coded.field}" if coded.column else coded.field
            violations.append(Violation(label, path, None, subject, coded.rule, NAME))
        for finding in description.findings:
            if not dataset.is_stable and finding.rule.startswith("missing"):
                continue  # a v0 draft may be incomplete
            subject = f"column {finding.column}: {finding.field}" if finding.column else finding.field
            violations.append(Violation(label, path, None, subject, finding.rule, NAME))
    if completeness:
        context.notes.append("Datadoc completeness (Statistics Norway's percent_complete): " + ", ".join(completeness))
    unchecked = [name for name in ("unit_type", "subject_field", "data_source") if lists.get(name) is None]
    if unchecked and descriptions:
        context.notes.append(
            f"no code list in {code_lists.FOLDER}/ for {', '.join(unchecked)}: not checked "
            "(`dataprodukt codelists refresh` fetches them from KLASS where the network allows)"
        )
    return violations
