"""Where each Datadoc field comes from: flat ``meta`` keys, dbt descriptions, languages and Datadoc's enums.

Text fields are multilingual: the plain key (or the dbt ``description``) is bokmål (``nb``); ``<field>_nn`` and
``<field>_en`` add nynorsk and English. A value outside one of Datadoc's enums is reported with the allowed values.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from datadoc_model.required import model as strict

LANGUAGES = ("nb", "nn", "en")
DEFAULT_LANGUAGE = "nb"
PLACEHOLDERS = frozenset({"", "todo", "tbd", "fixme", "xxx", "?", "-", "beskrivelse mangler", "description missing"})

PERSONAL_DATA = (
    "NOT_PERSONAL_DATA",
    "PSEUDONYMISED_ENCRYPTED_PERSONAL_DATA",
    "NON_PSEUDONYMISED_ENCRYPTED_PERSONAL_DATA",
)

# meta key -> allowed values (Datadoc's enums; is_personal_data keeps the three classes of the data model)
DATASET_ENUMS: dict[str, tuple[str, ...]] = {
    "dataset_status": tuple(item.value for item in strict.DataSetStatus),
    "temporality_type": tuple(item.value for item in strict.TemporalityTypeType),
    "use_restriction": tuple(item.value for item in strict.UseRestrictionType),
}
VARIABLE_ENUMS: dict[str, tuple[str, ...]] = {
    "variable_role": tuple(item.value for item in strict.VariableRole),
    "temporality_type": DATASET_ENUMS["temporality_type"],
    "is_personal_data": PERSONAL_DATA,
}

# Datadoc's limits are BigQuery's: a column description up to 1,024 characters, a table's up to 16,384
COLUMN_DESCRIPTION_LIMIT = 1024
MODEL_DESCRIPTION_LIMIT = 16384


def is_missing(value: Any) -> bool:
    """Empty, or a placeholder such as "TODO"."""
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip().lower() in PLACEHOLDERS
    if isinstance(value, (list, tuple, dict)):
        return not value or all(is_missing(item) for item in value)
    return str(value).strip().lower() in PLACEHOLDERS


def merged_meta(node: dict[str, Any]) -> dict[str, Any]:
    """A node's or column's meta: ``config.meta`` (with dbt_project.yml's ``+meta`` folder defaults) and ``meta``."""
    return {**((node.get("config") or {}).get("meta") or {}), **(node.get("meta") or {})}


def texts(meta: dict[str, Any], field: str, default: str | None = None) -> list[dict[str, str]] | None:
    """A multilingual Datadoc text (``[{"languageCode": "nb", "languageText": ...}, ...]``) or None."""
    items = []
    for language in LANGUAGES:
        value = meta.get(f"{field}_{language}")
        if value is None and language == DEFAULT_LANGUAGE:
            value = meta.get(field, default)
        if not is_missing(value):
            items.append({"languageCode": language, "languageText": str(value).strip()})
    return items or None


def all_texts(meta: dict[str, Any], field: str, default: str | None = None) -> list[str]:
    """Every language's text of a field, to check lengths."""
    found = texts(meta, field, default) or []
    return [item["languageText"] for item in found]


@dataclass(frozen=True, order=True)
class EnumProblem:
    model: str
    column: str | None
    field: str
    value: str
    allowed: tuple[str, ...]

    @property
    def closest(self) -> list[str]:
        """The allowed values nearest the one written (``TIME`` -> ``START_TIME``, ``STOP_TIME``)."""
        return difflib.get_close_matches(str(self.value).strip().upper(), self.allowed, n=3, cutoff=0.4)

    @property
    def hint(self) -> str:
        return f"; closest: {', '.join(self.closest)}" if self.closest else ""

    def __str__(self) -> str:
        where = f"model {self.model}" + (f", column {self.column}" if self.column else "")
        return f"{where}: meta {self.field} {self.value!r} is not one of {', '.join(self.allowed)}{self.hint}"


def enum_value(
    meta: dict[str, Any], field: str, allowed: tuple[str, ...], model: str, column: str | None, problems: list[Any]
) -> str | None:
    """The meta value if it is one of ``allowed`` (case-insensitive); otherwise record a problem and give None."""
    value = meta.get(field)
    if is_missing(value):
        return None
    if field == "is_personal_data" and isinstance(value, bool):
        return PERSONAL_DATA[2] if value else PERSONAL_DATA[0]
    text = str(value).strip().upper()
    if text in allowed:
        return text
    problems.append(EnumProblem(model, column, field, str(value), allowed))
    return None


def keywords(value: Any) -> list[str] | None:
    """``keyword`` as a list, or a comma-separated string as Datadoc's editor writes it."""
    if is_missing(value):
        return None
    items = value if isinstance(value, list) else str(value).split(",")
    cleaned = [str(item).strip() for item in items if not is_missing(item)]
    return cleaned or None
