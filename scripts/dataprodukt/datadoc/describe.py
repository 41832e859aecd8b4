"""One published dataset version described with Datadoc's fields, every field from its one source.

``describe`` gathers the fields as plain data (no timestamps yet) together with what is wrong: values outside
Datadoc's enums, obligatory fields still missing for the data state, texts too long for BigQuery. The export turns
a description into a validated document; the metadata gate reports the same findings before anything is built.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from dataprodukt.core.errors import UserError
from dataprodukt.datadoc import fields as f
from dataprodukt.datadoc.lineage import ColumnDoc, Lineage
from dataprodukt.datadoc.types import column_kind, datadoc_type
from dataprodukt.rules.identity import Dataset
from dataprodukt.rules.naming_standard import period_bounds

# ids are uuid5 in this namespace of <product>/<model>/v<version>[/<column>]: the same dataset keeps its id
ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/dataprodukt/datadoc")
ORIGINAL_VERSION = "Opprinnelig versjon"
DEFAULT_SPATIAL_COVERAGE = "Norge"
PERSONAL_STATES = {"PROCESSED_DATA", "INPUT_DATA"}  # where is_personal_data must be stated per variable

# obligatory per data state (the seed datadoc-data-model.md; INPUT_DATA like PROCESSED_DATA), as meta keys
DATASET_OBLIGATORY = (
    "description",
    "dataset_status",
    "unit_type",
    "population_description",
    "version_description",
    "data_source",
    "temporality_type",
    "subject_field",
    "spatial_coverage_description",
    "owner",
    "contains_data_from",
    "contains_data_until",
)
# always derived, counted as filled in the completeness percentage
DATASET_DERIVED = ("short_name", "name", "assessment", "dataset_state", "version", "id", "file_path")


@dataclass(frozen=True, order=True)
class Finding:
    """Something the metadata gate reports: a missing obligatory field or a text that is too long."""

    column: str | None
    field: str
    rule: str


@dataclass
class VariableDescription:
    short_name: str
    fields: dict[str, Any]
    kind: str | None
    doc: ColumnDoc


@dataclass
class DatasetDescription:
    dataset: Dataset
    fields: dict[str, Any]
    variables: list[VariableDescription]
    problems: list[f.EnumProblem] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    obligatory: int = 0
    filled: int = 0

    @property
    def percentage_complete(self) -> int:
        return round(100 * self.filled / self.obligatory) if self.obligatory else 100

    @property
    def missing(self) -> list[Finding]:
        return [finding for finding in self.findings if finding.rule.startswith("missing")]


def dataset_id(dataset: Dataset) -> uuid.UUID:
    return uuid.uuid5(ID_NAMESPACE, f"{dataset.product}/{dataset.model}/v{dataset.version}")


def variable_id(dataset: Dataset, column: str) -> uuid.UUID:
    return uuid.uuid5(ID_NAMESPACE, f"{dataset.product}/{dataset.model}/v{dataset.version}/{column.lower()}")


def _columns(
    dataset: Dataset, catalog_columns: dict[str, dict[str, Any]]
) -> list[tuple[str, str | None, dict[str, Any]]]:
    """(name, warehouse type, YAML column) in table order: the catalog's columns, then any only in the YAML."""
    declared = {name.lower(): column for name, column in (dataset.node.get("columns") or {}).items()}
    found: list[tuple[str, str | None, dict[str, Any]]] = []
    if catalog_columns:
        ordered = sorted(catalog_columns.values(), key=lambda column: int(column.get("index") or 0))
        found = [
            (str(column["name"]), column.get("type"), declared.get(str(column["name"]).lower(), {}))
            for column in ordered
        ]
    # a column declared since the catalog was made (the contract keeps YAML and table in step) comes last
    known = {name.lower() for name, _, _ in found}
    found.extend(
        (str(column.get("name") or name), column.get("data_type"), column)
        for name, column in declared.items()
        if name not in known
    )
    return found


def _period_dates(dataset: Dataset) -> tuple[str | None, str | None]:
    if not dataset.period_from:
        return None, None
    try:
        first, _ = period_bounds(dataset.period_from)
        _, last = period_bounds(dataset.period_to or dataset.period_from)
    except UserError:
        return None, None
    return first.isoformat(), last.isoformat()


def describe(
    dataset: Dataset,
    catalog_columns: dict[str, dict[str, Any]],
    lineage: Lineage,
    storage_uri: str,
) -> DatasetDescription:
    node, model = dataset.node, dataset.model
    meta = f.merged_meta(node)
    problems: list[f.EnumProblem] = []
    version = dataset.version if dataset.version is not None else 0
    first_day, last_day = _period_dates(dataset)
    restriction = f.enum_value(meta, "use_restriction", f.DATASET_ENUMS["use_restriction"], model, None, problems)
    dataset_level = {
        "unit_type": None if f.is_missing(meta.get("unit_type")) else str(meta["unit_type"]).strip(),
        "data_source": None if f.is_missing(meta.get("data_source")) else str(meta["data_source"]).strip(),
        "temporality_type": f.enum_value(
            meta, "temporality_type", f.DATASET_ENUMS["temporality_type"], model, None, problems
        ),
    }
    fields: dict[str, Any] = {
        "short_name": dataset.stem,
        "assessment": dataset.assessment,
        "dataset_status": f.enum_value(
            meta, "dataset_status", f.DATASET_ENUMS["dataset_status"], model, None, problems
        ),
        "dataset_state": dataset.dataset_state,
        "name": f.texts(meta, "name", default=model),
        "description": f.texts({**meta, "description": node.get("description")}, "description"),
        "population_description": f.texts(meta, "population_description"),
        "version": str(version),
        "version_description": f.texts(meta, "version_description", ORIGINAL_VERSION if version == 1 else None),
        "subject_field": None if f.is_missing(meta.get("subject_field")) else str(meta["subject_field"]).strip(),
        "keyword": f.keywords(meta.get("keyword")),
        "spatial_coverage_description": f.texts(meta, "spatial_coverage_description", DEFAULT_SPATIAL_COVERAGE),
        "use_restrictions": (
            [{"use_restriction_type": restriction, "use_restriction_date": _text(meta.get("use_restriction_date"))}]
            if restriction
            else None
        ),
        "id": str(dataset_id(dataset)),
        "owner": None if f.is_missing(meta.get("owner")) else str(meta["owner"]).strip(),
        "file_path": f"{storage_uri.rstrip('/')}/{dataset.storage_path}",
        "contains_data_from": first_day,
        "contains_data_until": last_day,
    }
    variables = [
        _variable(dataset, name, type_name, declared, lineage, dataset_level, problems)
        for name, type_name, declared in _columns(dataset, catalog_columns)
    ]
    personal = any(variable.fields["is_personal_data"] for variable in variables)
    fields["custom_type"] = [
        {"key": "contains_personal_data", "value": "true" if personal else "false"},
        {"key": "dbt_unique_id", "value": dataset.unique_id},
    ]
    description = DatasetDescription(dataset, fields, variables, problems)
    _judge(description, {**fields, **dataset_level}, meta)
    return description


def _text(value: Any) -> str | None:
    return None if f.is_missing(value) else str(value).strip()


def _variable(
    dataset: Dataset,
    name: str,
    type_name: str | None,
    declared: dict[str, Any],
    lineage: Lineage,
    dataset_level: dict[str, Any],
    problems: list[f.EnumProblem],
) -> VariableDescription:
    model = dataset.model
    doc = lineage.column(dataset.unique_id, name) or ColumnDoc()
    meta = doc.meta
    kind = column_kind(type_name) or column_kind(declared.get("data_type"))
    personal_class = f.enum_value(meta, "is_personal_data", f.VARIABLE_ENUMS["is_personal_data"], model, name, problems)
    has_comment = any(key == "comment" or key.startswith("comment_") for key in meta)
    comment = (
        f.texts(meta, "comment") if has_comment else f.texts({**meta, "description": doc.description}, "description")
    )
    custom = [{"key": "personal_data", "value": personal_class}] if personal_class else None
    fields: dict[str, Any] = {
        "short_name": name,
        "data_element_path": _text(meta.get("data_element_path")),
        "name": f.texts(meta, "name", default=name),
        "data_type": datadoc_type(kind),
        "variable_role": f.enum_value(meta, "variable_role", f.VARIABLE_ENUMS["variable_role"], model, name, problems),
        "definition_uri": _text(meta.get("definition_uri")),
        "is_personal_data": bool(personal_class and personal_class != f.PERSONAL_DATA[0]),
        "unit_type": _text(meta.get("unit_type")) or dataset_level["unit_type"],
        "data_source": _text(meta.get("data_source")) or dataset_level["data_source"],
        "population_description": f.texts(meta, "population_description"),
        "comment": comment,
        "temporality_type": f.enum_value(
            meta, "temporality_type", f.VARIABLE_ENUMS["temporality_type"], model, name, problems
        )
        or dataset_level["temporality_type"],
        "measurement_unit": _text(meta.get("measurement_unit")),
        "multiplication_factor": meta.get("multiplication_factor"),
        "format": _text(meta.get("format")),
        "classification_uri": _text(meta.get("classification_uri")),
        "invalid_value_description": f.texts(meta, "invalid_value_description"),
        "custom_type": custom,
        "id": str(variable_id(dataset, name)),
        "contains_data_from": _text(meta.get("contains_data_from")),
        "contains_data_until": _text(meta.get("contains_data_until")),
    }
    variable = VariableDescription(name, fields, kind, doc)
    variable.fields["_personal_class"] = personal_class  # removed before the document is built
    variable.fields["_type_name"] = type_name or declared.get("data_type")
    return variable


def _judge(description: DatasetDescription, dataset_fields: dict[str, Any], meta: dict[str, Any]) -> None:
    """Count obligatory fields for the completeness percentage and record what is missing or too long."""
    findings: list[Finding] = []
    obligatory = filled = len(DATASET_DERIVED)
    for name in DATASET_OBLIGATORY:
        obligatory += 1
        if f.is_missing(dataset_fields.get(name)):
            findings.append(Finding(None, name, f"missing obligatory field: {_hint(name)}"))
        else:
            filled += 1
    for text in f.all_texts({**meta, "description": description.dataset.node.get("description")}, "description"):
        if len(text) > f.MODEL_DESCRIPTION_LIMIT:
            findings.append(
                Finding(
                    None, "description", f"too long: {len(text)} characters, BigQuery takes {f.MODEL_DESCRIPTION_LIMIT}"
                )
            )
    state = description.dataset.dataset_state
    for variable in description.variables:
        values = variable.fields
        checks: list[tuple[str, bool, str]] = [
            ("variable_role", not f.is_missing(values["variable_role"]), "set meta variable_role"),
            (
                "data_type",
                values["data_type"] is not None,
                f"the warehouse type {values['_type_name']!r} has no Datadoc type: cast the column to a plain type"
                if values["_type_name"]
                else "no column type: run `dbt docs generate` (or declare data_type in the contract)",
            ),
            (
                "definition_uri",
                not (f.is_missing(values["definition_uri"]) and f.is_missing(values["comment"])),
                "set meta definition_uri (Vardef) or write a column description",
            ),
        ]
        if state in PERSONAL_STATES:
            checks.append(
                (
                    "is_personal_data",
                    values["_personal_class"] is not None,
                    f"set meta is_personal_data to one of {', '.join(f.PERSONAL_DATA)} (here or where it enters)",
                )
            )
        if values["variable_role"] == "MEASURE" and variable.kind in {"integer", "number"}:
            checks.append(
                ("measurement_unit", not f.is_missing(values["measurement_unit"]), "a quantity has a measurement_unit")
            )
        for name, ok, hint in checks:
            obligatory += 1
            if ok:
                filled += 1
            else:
                findings.append(Finding(variable.short_name, name, f"missing obligatory field: {hint}"))
        for text in [item["languageText"] for item in values["comment"] or []]:
            if len(text) > f.COLUMN_DESCRIPTION_LIMIT:
                findings.append(
                    Finding(
                        variable.short_name,
                        "description",
                        f"too long: {len(text)} characters, BigQuery takes {f.COLUMN_DESCRIPTION_LIMIT} for a column",
                    )
                )
    description.findings = sorted(findings, key=lambda item: (item.column or "", item.field, item.rule))
    description.obligatory, description.filled = obligatory, filled


def _hint(name: str) -> str:
    if name == "description":
        return "write the model's description in its YAML"
    if name in {"contains_data_from", "contains_data_until"}:
        return "derived from the periods: set vars period_from/period_to to valid SSB periods"
    if name == "version_description":
        return "set meta version_description on the version: only v1 gets 'Opprinnelig versjon' by default"
    if name == "dataset_status":
        return f"set meta dataset_status to one of {', '.join(f.DATASET_ENUMS['dataset_status'])}"
    if name == "temporality_type":
        return f"set meta temporality_type to one of {', '.join(f.DATASET_ENUMS['temporality_type'])}"
    return f"set meta {name} on the model, or as a folder default (+meta) in dbt_project.yml"
