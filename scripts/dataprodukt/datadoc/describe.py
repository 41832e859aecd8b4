"""One published dataset version described with Datadoc's fields, every field from its one source.

``describe`` gathers the fields as plain data (no timestamps yet) together with what is wrong: values outside
Datadoc's enums, obligatory fields still missing for the data state, texts too long for BigQuery. The export turns
a description into a validated document; the metadata gate reports the same findings before anything is built.

Fields Datadoc's editor sets once for all variables ("globale verdier": unit_type, data_source, temporality_type,
population_description, variable_role) are set once on the model or its folder (``+meta``) and inherited by every
variable, unless the column (or the column it comes from upstream) says otherwise.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from dataprodukt.core.errors import UserError
from dataprodukt.core.pseudonym_key import ALGORITHM, KEY_VARIABLE
from dataprodukt.datadoc import fields as f
from dataprodukt.datadoc import links
from dataprodukt.datadoc.completeness import Finding, judge
from dataprodukt.datadoc.lineage import ColumnDoc, Lineage
from dataprodukt.datadoc.types import column_kind, datadoc_type
from dataprodukt.datadoc.version_changes import Changes, compare, shape
from dataprodukt.rules.identity import Dataset
from dataprodukt.rules.naming_standard import period_bounds

__all__ = ["Context", "DatasetDescription", "Finding", "VariableDescription", "describe"]

# ids are uuid5 in this namespace of <product>/<model>/v<version>[/<column>]: the same dataset keeps its id
ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/dataprodukt/datadoc")
ORIGINAL_VERSION = "Opprinnelig versjon"
DEFAULT_SPATIAL_COVERAGE = "Norge"
# set on the model (or folder) for every variable; a column's own value wins
GLOBAL_TEXT_FIELDS = ("unit_type", "data_source")


@dataclass(frozen=True)
class Context:
    """What describing one version needs besides dbt's artifacts: the version before it (to say what changed),
    its own publication record (a change note recorded when it was published) and where the pseudonymisation key
    is kept."""

    previous_version: int | None = None
    previous_variables: tuple[dict[str, Any], ...] = ()
    publication: Any = None
    key_reference: str = KEY_VARIABLE


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
    # Statistics Norway's reader's percent_complete for these fields (see completeness)
    reader_percentage: int = 100
    changes: Changes | None = None

    @property
    def percentage_complete(self) -> int:
        return self.reader_percentage

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
    context: Context | None = None,
) -> DatasetDescription:
    context = context or Context()
    node, model = dataset.node, dataset.model
    meta = f.merged_meta(node)
    problems: list[f.EnumProblem] = []
    version = dataset.version if dataset.version is not None else 0
    first_day, last_day = _period_dates(dataset)
    restriction = f.enum_value(meta, "use_restriction", f.DATASET_ENUMS["use_restriction"], model, None, problems)
    # the "globale verdier": every variable's unless the column says otherwise
    global_values = {
        **{name: _text(meta.get(name)) for name in GLOBAL_TEXT_FIELDS},
        "population_description": f.texts(meta, "population_description"),
        "temporality_type": f.enum_value(
            meta, "temporality_type", f.DATASET_ENUMS["temporality_type"], model, None, problems
        ),
        "variable_role": f.enum_value(meta, "variable_role", f.VARIABLE_ENUMS["variable_role"], model, None, problems),
    }
    variables = [
        _variable(dataset, name, type_name, declared, lineage, global_values, problems, context)
        for name, type_name, declared in _columns(dataset, catalog_columns)
    ]
    changes = _changes(version, variables, context)
    fields: dict[str, Any] = {
        "short_name": dataset.stem,
        "assessment": dataset.assessment,
        "dataset_status": f.enum_value(
            meta, "dataset_status", f.DATASET_ENUMS["dataset_status"], model, None, problems
        ),
        "dataset_state": dataset.dataset_state,
        "name": f.texts(meta, "name", default=model),
        "description": f.texts({**meta, "description": node.get("description")}, "description"),
        "population_description": global_values["population_description"],
        "version": str(version),
        "version_description": version_description(meta, version, context, changes),
        "subject_field": _text(meta.get("subject_field")),
        "keyword": f.keywords(meta.get("keyword")),
        "spatial_coverage_description": f.texts(meta, "spatial_coverage_description", DEFAULT_SPATIAL_COVERAGE),
        "use_restrictions": (
            [{"use_restriction_type": restriction, "use_restriction_date": _text(meta.get("use_restriction_date"))}]
            if restriction
            else None
        ),
        "id": str(dataset_id(dataset)),
        "owner": _text(meta.get("owner")),
        "file_path": f"{storage_uri.rstrip('/')}/{dataset.storage_path}",
        "contains_data_from": first_day,
        "contains_data_until": last_day,
    }
    personal = any(variable.fields["is_personal_data"] for variable in variables)
    fields["custom_type"] = [
        {"key": "contains_personal_data", "value": "true" if personal else "false"},
        {"key": "dbt_unique_id", "value": dataset.unique_id},
    ]
    description = DatasetDescription(dataset, fields, variables, problems, changes=changes)
    judge(description, {**fields, **global_values}, meta)
    return description


def version_description(
    meta: dict[str, Any], version: int, context: Context, changes: Changes | None
) -> list[dict[str, str]] | None:
    """In this order: what the author wrote (meta ``version_description``), the change note recorded when this
    version was published (the register record's ``change_note``), what changed in the variables since the
    version before, and "Opprinnelig versjon" for v1."""
    written = f.texts(meta, "version_description")
    if written:
        return written
    note = getattr(context.publication, "change_note", None)
    if not f.is_missing(note):
        return [{"languageCode": "nb", "languageText": str(note).strip()}]
    if changes is not None:
        return [{"languageCode": language, "languageText": changes.text(language)} for language in ("nb", "en")]
    return [{"languageCode": "nb", "languageText": ORIGINAL_VERSION}] if version == 1 else None


def _changes(version: int, variables: list[VariableDescription], context: Context) -> Changes | None:
    """The difference from the previous version, when it is known (None for v1 and for a version without one)."""
    previous = context.previous_version
    if previous is None or previous >= version or not context.previous_variables:
        return None
    current = [shape(v.fields, str(v.doc.meta.get("renamed_from") or "")) for v in variables]
    return compare(previous, [shape(item) for item in context.previous_variables], current)


def _text(value: Any) -> str | None:
    return None if f.is_missing(value) else str(value).strip()


def _variable(
    dataset: Dataset,
    name: str,
    type_name: str | None,
    declared: dict[str, Any],
    lineage: Lineage,
    global_values: dict[str, Any],
    problems: list[f.EnumProblem],
    context: Context,
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
    role = f.enum_value(meta, "variable_role", f.VARIABLE_ENUMS["variable_role"], model, name, problems)
    temporality = f.enum_value(meta, "temporality_type", f.VARIABLE_ENUMS["temporality_type"], model, name, problems)
    fields: dict[str, Any] = {
        "short_name": name,
        "data_element_path": _text(meta.get("data_element_path")),
        "name": f.texts(meta, "name", default=name),
        "data_type": datadoc_type(kind),
        "variable_role": role or global_values["variable_role"],
        "definition_uri": links.definition_urn(_text(meta.get("definition_uri"))),
        "is_personal_data": bool(personal_class and personal_class != f.PERSONAL_DATA[0]),
        "unit_type": _text(meta.get("unit_type")) or global_values["unit_type"],
        "data_source": _text(meta.get("data_source")) or global_values["data_source"],
        "population_description": f.texts(meta, "population_description") or global_values["population_description"],
        "comment": comment,
        "temporality_type": temporality or global_values["temporality_type"],
        "measurement_unit": _text(meta.get("measurement_unit")),
        "multiplication_factor": meta.get("multiplication_factor"),
        "format": _text(meta.get("format")),
        "classification_uri": links.classification_urn(_text(meta.get("classification_uri"))),
        "invalid_value_description": f.texts(meta, "invalid_value_description"),
        "custom_type": custom,
        "id": str(variable_id(dataset, name)),
        "contains_data_from": _text(meta.get("contains_data_from")),
        "contains_data_until": _text(meta.get("contains_data_until")),
        "pseudonymization": _pseudonymization(lineage, dataset, name, context),
    }
    variable = VariableDescription(name, fields, kind, doc)
    variable.fields["_personal_class"] = personal_class  # removed before the document is built
    variable.fields["_type_name"] = type_name or declared.get("data_type")
    return variable


def _pseudonymization(lineage: Lineage, dataset: Dataset, column: str, context: Context) -> dict[str, Any] | None:
    """The pseudonymization block of a column the ``pseudonymize`` macro made (by column lineage): the algorithm
    and where the key is kept, never the key."""
    if not lineage.keyed_pseudonym(dataset.unique_id, column):
        return None
    return {
        "encryption_algorithm": ALGORITHM,
        "encryption_key_reference": context.key_reference,
        "encryption_algorithm_parameters": [{"keyId": context.key_reference}],
    }
