"""Personal data never reaches open outputs.

Column classes come from the lineage in :mod:`dataprodukt.rules.personal_data`. A model is open when its
folder's assessment is OPEN (models/utdata/, see ``identity.STATES``) or its meta says ``open: true``. The check
fails when
- an open model has a column that is personal or pseudonymised, naming the declared column it comes from;
- a column declares a class (``meta.is_personal_data``) less personal than its lineage, or a value Datadoc doesn't know;
- an open model's SQL can't be analysed (the guard fails closed; other models get a note).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from dataprodukt.checks import CheckContext, Violation
from dataprodukt.core.context import RunContext
from dataprodukt.core.errors import UserError
from dataprodukt.rules.column_origin import CLASSES, NOT_PERSONAL, RANK
from dataprodukt.rules.identity import STATES
from dataprodukt.rules.personal_data import META_KEY, trace

NAME = "privacy"


def is_open(node: dict[str, Any]) -> bool:
    parts = str(node.get("original_file_path", "")).split("/")
    folder = parts[1] if len(parts) > 2 and parts[0] == "models" else ""
    meta = {**(node.get("config", {}) or {}).get("meta", {}), **(node.get("meta") or {})}
    return (folder in STATES and STATES[folder].assessment == "OPEN") or meta.get("open") is True


def run(context: CheckContext) -> list[Violation]:
    lineage = trace(context.manifest)
    violations = []
    sources = [
        source
        for source in context.manifest.get("sources", {}).values()
        if source.get("package_name") == context.package_name
    ]
    for node in [*sources, *context.nodes("model"), *context.nodes("snapshot"), *context.nodes("seed")]:
        unique_id, name = node["unique_id"], node["name"]
        sql_path = str(node["original_file_path"])
        yaml_path = str(node.get("patch_path") or sql_path).split("://", 1)[-1]
        columns = lineage.columns.get(unique_id, {})
        problem = lineage.problems.get(unique_id)
        if problem and is_open(node):
            violations.append(
                Violation(
                    name,
                    sql_path,
                    None,
                    "lineage",
                    f"column lineage could not be computed ({problem}): "
                    "an open model must be analysable; simplify its SQL",
                    NAME,
                )
            )
        elif problem:
            context.notes.append(
                f"privacy: {name}: column lineage could not be computed ({problem}); "
                "its columns are treated as the most personal of its inputs"
            )
        for (owner, column), value in sorted(lineage.invalid.items()):
            if owner == unique_id:
                violations.append(
                    Violation(
                        name,
                        yaml_path,
                        _yaml_line(context, yaml_path, column),
                        f"column {column}",
                        f"{META_KEY} {value!r} is not one of {', '.join(CLASSES)}",
                        NAME,
                    )
                )
        for column, origin in columns.items():
            declared = lineage.declared.get((unique_id, column))
            if declared is not None and RANK[declared] < origin.rank:
                violations.append(
                    Violation(
                        name,
                        yaml_path,
                        _yaml_line(context, yaml_path, column),
                        f"column {column}",
                        f"declared {declared} but built from {origin.upstream} ({origin.klass}): declare "
                        f"{origin.klass}, or pseudonymise (pseudonymize macro) or aggregate the column",
                        NAME,
                    )
                )
            if origin.klass != NOT_PERSONAL and is_open(node):
                kind = "personal data" if origin.klass == CLASSES[-1] else "pseudonymised personal data"
                violations.append(
                    Violation(
                        name,
                        sql_path,
                        _sql_line(node, column),
                        f"column {column}",
                        f"{kind} ({origin.klass}) from {origin.upstream} reaches an open model: "
                        "publish an aggregate of it (count, sum) or drop the column",
                        NAME,
                    )
                )
    return violations


def _sql_line(node: dict[str, Any], column: str) -> int | None:
    """The last line of the model's SQL naming the column (nearest to the final select), if any."""
    pattern = re.compile(rf"\b{re.escape(column)}\b", re.IGNORECASE)
    found = None
    for number, line in enumerate(str(node.get("raw_code", "")).splitlines(), start=1):
        if pattern.search(line.split("--", 1)[0]):
            found = number
    return found


def _yaml_line(context: CheckContext, path: str, column: str) -> int | None:
    file = Path(context.project.root) / path
    if not file.is_file():
        return None
    pattern = re.compile(rf"^\s*-\s*name:\s*[\"']?{re.escape(column)}[\"']?\s*$", re.I)
    for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
        if pattern.match(line):
            return number
    return None


def step(context: RunContext) -> None:
    """Main-job step after the build and before anything is exported or published: stop on any privacy violation."""
    violations = sorted(run(CheckContext(context.project, context.manifest, storage=context.storage)))
    if violations:
        more = f" (and {len(violations) - 1} more)" if len(violations) > 1 else ""
        raise UserError(
            f"privacy check failed, nothing published: {violations[0]}{more}; "
            "run `dataprodukt check --only privacy` for every violation"
        )
