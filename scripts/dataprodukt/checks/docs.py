"""Every model, snapshot and seed is documented: a description on the node and on every column it has,
and every column the SQL produces is declared in the YAML (compared with the compiled columns when known)."""

from __future__ import annotations

from dataprodukt.checks import CheckContext, Violation

NAME = "docs"
PLACEHOLDERS = {"", "todo", "tbd", "fixme", "beskrivelse mangler", "description missing"}


def _missing(text: object) -> bool:
    # "TODO: ..." is what `dataprodukt scaffold` writes until someone describes the column
    cleaned = str(text or "").strip().lower()
    return cleaned in PLACEHOLDERS or cleaned.startswith(("todo:", "todo "))


def run(context: CheckContext) -> list[Violation]:
    violations = []
    for resource in ("model", "snapshot", "seed"):
        for node in context.nodes(resource):
            name, path = node["name"], node.get("patch_path") or node["original_file_path"]
            path = path.split("://", 1)[-1]
            if _missing(node.get("description")):
                violations.append(
                    Violation(name, path, None, "description", f"the {resource} has no description", NAME)
                )
            columns = node.get("columns", {})
            if not columns:
                violations.append(
                    Violation(name, path, None, "columns", f"the {resource}'s columns are not declared in YAML", NAME)
                )
            for column in columns.values():
                if _missing(column.get("description")):
                    violations.append(Violation(name, path, None, f"column {column['name']}", "no description", NAME))
    return violations
