"""Staging renames and casts only, proven on the compiled SQL: every model under models/staging/ reads exactly one
dbt source(), keeps every row, and each output column is a source column, renamed or cast once. Every source column
is in the output unless the model's YAML drops it with a reason (``meta: {dropped_columns: {COL: reason}}``); a
column may break the rule for a small lasting clean-up when its YAML says why (``meta: {staging_exception: reason}``).
The allow-list of expressions lives in ``dataprodukt.rules.staging_sql``, which casts keep every value in
``dataprodukt.rules.staging_casts``; docs/staging.md explains the rule."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import SqlglotError

from dataprodukt.checks import CheckContext, Violation
from dataprodukt.rules.staging_sql import DIALECTS, analyse, finding_line, line_of, parse_message

NAME = "staging"
DROPPED = "dropped_columns"
EXCEPTION = "staging_exception"


@dataclass(frozen=True)
class StagingModel:
    """What the check needs of one staging model (from the manifest, or written by hand in tests)."""

    name: str
    path: str
    raw_code: str
    compiled_code: str | None
    dialect: str
    # source relation as written in compiled SQL -> (source label, its columns; empty when unknown)
    sources: dict[str, tuple[str, tuple[str, ...]]]
    dropped: dict[str, Any] = field(default_factory=dict)
    exceptions: dict[str, Any] = field(default_factory=dict)
    yaml_path: str = ""  # where dropped_columns and staging_exception are declared
    # source column -> its declared type (YAML data_type, or the warehouse's); a column not here is text
    types: dict[str, str] = field(default_factory=dict)


def _meta(entry: dict[str, Any]) -> dict[str, Any]:
    meta = dict(entry.get("config", {}).get("meta") or {})
    meta.update(entry.get("meta") or {})
    return meta


def _reason(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _yaml_where(model: StagingModel) -> tuple[str, int | None]:
    """Where a YAML declaration is reported: the model's YAML file (no line), or the SQL file's first line when
    the model has no YAML (never a line beside no line in one file: violations sort by line)."""
    return (model.yaml_path, None) if model.yaml_path else (model.path, 1)


def check_model(model: StagingModel) -> tuple[list[Violation], list[str]]:
    """Every violation of the staging rule in one model, and a note for every exception accepted."""
    violations: list[Violation] = []
    notes: list[str] = []

    def fail(subject: str, rule: str, line: int | None = 1) -> None:
        # a line in the SQL file (the first when the pattern isn't found), or the YAML file without a line
        path, line = (model.path, line) if line is not None else _yaml_where(model)
        violations.append(Violation(model.name, path, line, subject, rule, NAME))

    if not model.compiled_code:
        fail("SQL", "not compiled: run `dataprodukt check` (it compiles the project) and fix dbt's error", 1)
        return violations, notes
    relations = {relation: columns for relation, (_label, columns) in model.sources.items()}
    try:
        analysis = analyse(model.compiled_code, model.dialect, relations, model.types)
    except SqlglotError as error:
        details = getattr(error, "errors", None) or [{}]
        # the compiled line is the file's line when Jinja kept the line count (it usually does)
        same = model.raw_code.count("\n") == model.compiled_code.count("\n")
        line = int(details[0].get("line") or 1) if same else 1
        fail("SQL", f"can't be parsed as {model.dialect} SQL: {parse_message(error)}: fix the SQL", line)
        return violations, notes

    exceptions = {name.lower(): value for name, value in model.exceptions.items()}
    for column, value in sorted(exceptions.items()):
        if not _reason(value):
            fail(f"column {column}", f"meta.{EXCEPTION} needs a reason (a sentence saying why)", None)
    excused: dict[int, str] = {}
    for name, lineage in analysis.outputs.items():
        if name in exceptions and _reason(exceptions[name]):
            excused.update({index: name for index in lineage.findings})
    for index, finding in enumerate(analysis.findings):
        column = finding.subject.removeprefix("column ")
        if finding.subject.startswith("column ") and _reason(exceptions.get(column)):
            excused.setdefault(index, column)
        if index in excused:
            continue
        fail(finding.subject, finding.rule, finding_line(model.raw_code, finding) or 1)
    for column, value in sorted(exceptions.items()):
        if not _reason(value):
            continue
        if column not in excused.values():
            rule = f"meta.{EXCEPTION} is declared but the column is a rename or one cast: remove the exception"
            fail(f"column {column}", rule, None)
        else:
            notes.append(f"staging: {model.name}: column {column}: exception accepted: {_reason(value)}")

    violations.extend(_coverage(model, analysis.outputs, analysis.complete, notes))
    return violations, notes


def _coverage(model: StagingModel, outputs: dict[str, Any], complete: bool, notes: list[str]) -> list[Violation]:
    """Every source column is in the output, unless dropped with a reason."""
    violations = []
    source_line = line_of(model.raw_code, r"\bsource\s*\(|\bfrom\b") or 1
    yaml_path, yaml_line = _yaml_where(model)
    used = {column for lineage in outputs.values() for column in lineage.used}
    declared = {column.lower(): column for _label, columns in model.sources.values() for column in columns}
    labels = ", ".join(label for label, _columns in model.sources.values())
    for column, reason in sorted(model.dropped.items(), key=lambda item: str(item[0])):
        subject = f"meta.{DROPPED} {column}"
        if not _reason(reason):
            violations.append(Violation(model.name, yaml_path, yaml_line, subject, "needs a reason", NAME))
        elif declared and str(column).lower() not in declared:
            rule = f"not a column of source {labels}: remove it from the list"
            violations.append(Violation(model.name, yaml_path, yaml_line, subject, rule, NAME))
        elif str(column).lower() in used:
            rule = "declared dropped but the column is selected: remove it from the list"
            violations.append(Violation(model.name, yaml_path, yaml_line, subject, rule, NAME))
        else:
            notes.append(f"staging: {model.name}: source column {column} dropped: {_reason(reason)}")
    violations += _selected_twice(model, outputs, declared)
    if not complete or not declared:
        return violations
    dropped = {str(column).lower() for column, reason in model.dropped.items() if _reason(reason)}
    for key, column in declared.items():
        if key not in used and key not in dropped:
            rule = (
                f"missing from the output: select it (renamed or cast), or declare it in the model's "
                f"meta.{DROPPED} with a reason"
            )
            violations.append(Violation(model.name, model.path, source_line, f"source column {column}", rule, NAME))
    return violations


def _selected_twice(model: StagingModel, outputs: dict[str, Any], declared: dict[str, str]) -> list[Violation]:
    """A source column renamed or cast into two output columns: staging gives it one name and one type."""
    names: dict[str, list[str]] = {}
    for name, lineage in outputs.items():
        if lineage.column is not None and not lineage.findings:
            names.setdefault(lineage.column, []).append(name)
    violations = []
    for column, found in sorted(names.items()):
        if len(found) < 2:
            continue
        line = line_of(model.raw_code, rf"\bas\s+{re.escape(found[-1])}\b") or 1
        rule = (
            f"selected {len(found)} times (as {', '.join(found)}): staging gives each source column one name and "
            "one type: make copies in an intermediate model"
        )
        subject = f"source column {declared.get(column, column)}"
        violations.append(Violation(model.name, model.path, line, subject, rule, NAME))
    return violations


def staging_models(context: CheckContext) -> list[StagingModel]:
    adapter = str(context.manifest.get("metadata", {}).get("adapter_type") or "")
    dialect = DIALECTS.get(adapter, adapter)
    try:
        Dialect.get_or_raise(dialect)
    except ValueError:
        context.notes.append(f"staging: sqlglot has no dialect for adapter {adapter!r}: read as generic SQL")
        dialect = ""
    sources = context.manifest.get("sources", {})
    warehouse_columns = _WarehouseColumns(context)
    models = []
    for node in context.nodes("model"):
        path = str(node["original_file_path"])
        if not path.startswith("models/staging/"):
            continue
        read: dict[str, tuple[str, tuple[str, ...]]] = {}
        types: dict[str, str] = {}
        for unique_id in node.get("depends_on", {}).get("nodes", []):
            source = sources.get(unique_id)
            if source is None:
                continue
            label = f"{source['source_name']}.{source['name']}"
            declared = {
                str(column["name"]): str(column.get("data_type") or "") for column in source.get("columns", {}).values()
            }
            if not declared:
                declared = dict(warehouse_columns.get(source, label))
            read[str(source.get("relation_name") or label)] = (label, tuple(declared))
            types.update({column: kind for column, kind in declared.items() if kind})
        models.append(
            StagingModel(
                name=str(node["name"]),
                path=path,
                yaml_path=str(node.get("patch_path") or "").split("://", 1)[-1],
                raw_code=str(node.get("raw_code") or ""),
                compiled_code=node.get("compiled_code"),
                dialect=dialect,
                sources=read,
                types=types,
                dropped=dict(_meta(node).get(DROPPED) or {}),
                exceptions={
                    str(column["name"]): _meta(column)[EXCEPTION]
                    for column in node.get("columns", {}).values()
                    if EXCEPTION in _meta(column)
                },
            )
        )
    return models


class _WarehouseColumns:
    """Columns of a source whose YAML lists none, asked of the warehouse once (when it can be reached)."""

    def __init__(self, context: CheckContext) -> None:
        self.context = context

    def get(self, source: dict[str, Any], label: str) -> tuple[tuple[str, str], ...]:
        """(column, type) of the source's table, as the warehouse has them."""
        from dataprodukt.core.warehouse import connected

        try:
            with connected(self.context.project) as warehouse:
                columns = tuple(warehouse.relation_columns(source["schema"], source["name"]))
        except Exception as error:  # the warehouse is only a second opinion: unreachable means "unknown"
            reason = " ".join(str(error).split())[:200]
            self.context.notes.append(
                f"staging: source {label} declares no columns and the warehouse can't tell ({reason}): "
                "its columns are not checked; declare them in the source YAML"
            )
            return ()
        if not columns:
            self.context.notes.append(
                f"staging: source {label} declares no columns and is not loaded: its columns are not checked"
            )
        return columns


def run(context: CheckContext) -> list[Violation]:
    violations: list[Violation] = []
    for model in staging_models(context):
        found, notes = check_model(model)
        violations.extend(found)
        context.notes.extend(notes)
    return violations
