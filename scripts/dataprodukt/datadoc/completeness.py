"""How complete a description is, by Statistics Norway's measure, and what the metadata gate finds missing.

``percentage_complete`` is the measure of Statistics Norway's reader (dapla-toolbelt-metadata 0.19.0,
``Datadoc.percent_complete``): 14 dataset fields and 8 per variable, one list for every data state;
``round(100 * filled / (14 + 8 * variables))``. As the reader counts them, ``contains_personal_data`` (no field of
the 8.1.1 model), ``owner`` (replaced by the reader's own team on load), a variable's ``variable_role`` and
``is_personal_data`` (given defaults on load) are always filled; a multilingual text is missing when its first
three texts are empty, for a variable only its ``name``. So the number a document stores is the number the reader
computes for it.

The gate asks for more than the reader counts, and reports each finding: the obligatory fields per data state
(docs/metadata.md), a definition or description per column, a measurement unit for a quantity, the personal-data
class in processed and input data, and texts within BigQuery's limits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dataprodukt.datadoc import fields as f

if TYPE_CHECKING:
    from dataprodukt.datadoc.describe import DatasetDescription

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

# the reader's lists (dapla_metadata.datasets.utility.constants, 0.19.0)
READER_DATASET = (
    "assessment",
    "dataset_state",
    "dataset_status",
    "name",
    "description",
    "population_description",
    "version",
    "version_description",
    "subject_field",
    "spatial_coverage_description",
    "owner",
    "contains_data_from",
    "contains_data_until",
    "contains_personal_data",
)
READER_DATASET_TEXTS = {"name", "description", "population_description", "version_description"}
READER_DATASET_TEXTS |= {"spatial_coverage_description"}
READER_VARIABLE = (
    "name",
    "data_type",
    "variable_role",
    "is_personal_data",
    "unit_type",
    "population_description",
    "data_source",
    "temporality_type",
)
# filled whatever the document says, as the reader loads it
READER_ALWAYS_FILLED = {"contains_personal_data", "owner", "variable_role", "is_personal_data"}


@dataclass(frozen=True, order=True)
class Finding:
    """Something the metadata gate reports: a missing obligatory field or a text that is too long."""

    column: str | None
    field: str
    rule: str


def _reader_missing(value: Any, text: bool) -> bool:
    if value is None:
        return True
    if text and isinstance(value, list):
        return bool(value) and all(not str(item.get("languageText") or "").strip() for item in value[:3])
    return False


def reader_percentage(dataset: dict[str, Any], variables: list[dict[str, Any]]) -> int:
    """``percent_complete`` as Statistics Norway's reader computes it for these fields."""
    total = len(READER_DATASET) + len(READER_VARIABLE) * len(variables)
    filled = sum(
        name in READER_ALWAYS_FILLED or not _reader_missing(dataset.get(name), name in READER_DATASET_TEXTS)
        for name in READER_DATASET
    )
    for variable in variables:
        filled += sum(
            name in READER_ALWAYS_FILLED or not _reader_missing(variable.get(name), name == "name")
            for name in READER_VARIABLE
        )
    return round(100 * filled / total) if total else 100


def judge(description: DatasetDescription, dataset_fields: dict[str, Any], meta: dict[str, Any]) -> None:
    """Record the reader's percentage and what the gate finds missing or too long."""
    findings: list[Finding] = []
    for name in DATASET_OBLIGATORY:
        if f.is_missing(dataset_fields.get(name)):
            findings.append(Finding(None, name, f"missing obligatory field: {_hint(name)}"))
    for text in f.all_texts({**meta, "description": description.dataset.node.get("description")}, "description"):
        if len(text) > f.MODEL_DESCRIPTION_LIMIT:
            limit = f.MODEL_DESCRIPTION_LIMIT
            findings.append(Finding(None, "description", f"too long: {len(text)} characters, BigQuery takes {limit}"))
    for variable in description.variables:
        findings += _variable_findings(variable.short_name, variable.fields, variable.kind, description)
    description.findings = sorted(findings, key=lambda item: (item.column or "", item.field, item.rule))
    public = [{k: v for k, v in variable.fields.items() if not k.startswith("_")} for variable in description.variables]
    description.reader_percentage = reader_percentage(description.fields, public)


def _variable_findings(
    name: str, values: dict[str, Any], kind: str | None, description: DatasetDescription
) -> list[Finding]:
    type_name = values["_type_name"]
    checks: list[tuple[str, bool, str]] = [
        ("variable_role", not f.is_missing(values["variable_role"]), "set meta variable_role"),
        (
            "data_type",
            values["data_type"] is not None,
            f"the warehouse type {type_name!r} has no Datadoc type: cast the column to a plain type"
            if type_name
            else "no column type: run `dbt docs generate` (or declare data_type in the contract)",
        ),
        (
            "definition_uri",
            not (f.is_missing(values["definition_uri"]) and f.is_missing(values["comment"])),
            "set meta definition_uri (Vardef) or write a column description",
        ),
    ]
    if description.dataset.dataset_state in PERSONAL_STATES:
        checks.append(
            (
                "is_personal_data",
                values["_personal_class"] is not None,
                f"set meta is_personal_data to one of {', '.join(f.PERSONAL_DATA)} (here or where it enters)",
            )
        )
    if values["variable_role"] == "MEASURE" and kind in {"integer", "number"}:
        checks.append(
            ("measurement_unit", not f.is_missing(values["measurement_unit"]), "a quantity has a measurement_unit")
        )
    found = [Finding(name, field, f"missing obligatory field: {hint}") for field, ok, hint in checks if not ok]
    for text in [item["languageText"] for item in values["comment"] or []]:
        if len(text) > f.COLUMN_DESCRIPTION_LIMIT:
            limit = f.COLUMN_DESCRIPTION_LIMIT
            rule = f"too long: {len(text)} characters, BigQuery takes {limit} for a column"
            found.append(Finding(name, "description", rule))
    return found


def _hint(name: str) -> str:
    if name == "description":
        return "write the model's description in its YAML"
    if name in {"contains_data_from", "contains_data_until"}:
        return "derived from the periods: set vars period_from/period_to to valid SSB periods"
    if name == "version_description":
        return (
            "set meta version_description on the version: only v1 gets 'Opprinnelig versjon' by default, and a "
            "later version the difference from the version before it when that one is known"
        )
    if name == "dataset_status":
        return f"set meta dataset_status to one of {', '.join(f.DATASET_ENUMS['dataset_status'])}"
    if name == "temporality_type":
        return f"set meta temporality_type to one of {', '.join(f.DATASET_ENUMS['temporality_type'])}"
    return f"set meta {name} on the model, or as a folder default (+meta) in dbt_project.yml"
