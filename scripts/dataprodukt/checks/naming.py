"""Published datasets follow the SSB naming standard: every published model's storage path
(``<product>/<state>/<stem>.parquet``) passes the naming validator, and its relation is named from the same stem
(macros/naming/)."""

from __future__ import annotations

from dataprodukt.checks import CheckContext, Violation
from dataprodukt.rules.identity import published_datasets
from dataprodukt.rules.naming_standard import validate_path, warehouse_identifier

NAME = "naming"


def run(context: CheckContext) -> list[Violation]:
    datasets = published_datasets(context.manifest)
    violations = []
    for dataset in datasets:
        path = str(dataset.node.get("patch_path") or dataset.node["original_file_path"]).split("://", 1)[-1]
        if dataset.version is None:
            continue  # the layout check reports published models without versions
        for problem in validate_path(str(dataset.storage_path)):
            violations.append(Violation(dataset.model, path, None, problem.part, problem.rule, NAME))
        expected = warehouse_identifier(dataset.stem)
        if dataset.relation[2] != expected:
            violations.append(
                Violation(
                    dataset.model,
                    path,
                    None,
                    f"relation {dataset.relation[2]!r}",
                    f"a published relation is named from its dataset name: {expected!r} (remove the alias config)",
                    NAME,
                )
            )
    return violations
