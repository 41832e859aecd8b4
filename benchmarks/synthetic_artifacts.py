"""Synthetic dbt artifacts (manifest + catalog) of any size, for the export's benchmark and tests.

Each published model reads one intermediate model that reads one staging model; the staging model documents the
columns (description and meta) that the published model only names, so every export exercises inheritance.
"""

from __future__ import annotations

from typing import Any

from dataprodukt.core.artifacts import Artifacts

FOLDERS = ("klargjorte_data", "statistikk", "utdata")
# column name -> (DuckDB catalog type, meta written where the column enters)
NOT_PERSONAL = {"is_personal_data": "NOT_PERSONAL_DATA"}
COLUMNS: dict[str, tuple[str, dict[str, Any]]] = {
    "person_id": (
        "VARCHAR",
        {"variable_role": "IDENTIFIER", "is_personal_data": "PSEUDONYMISED_ENCRYPTED_PERSONAL_DATA"},
    ),
    "kvartal": ("VARCHAR", {"variable_role": "START_TIME", **NOT_PERSONAL}),
    "fylkesnummer": ("VARCHAR", {"variable_role": "ATTRIBUTE", **NOT_PERSONAL}),
    "antall": ("BIGINT", {"variable_role": "MEASURE", "measurement_unit": "antall", **NOT_PERSONAL}),
    "belop": ("DECIMAL(28,6)", {"variable_role": "MEASURE", "measurement_unit": "kroner", **NOT_PERSONAL}),
    "andel": ("DOUBLE", {"variable_role": "MEASURE", "measurement_unit": "prosent", **NOT_PERSONAL}),
    "registrert": ("TIMESTAMP", {"variable_role": "ATTRIBUTE", **NOT_PERSONAL}),
    "aktiv": ("BOOLEAN", {"variable_role": "ATTRIBUTE", **NOT_PERSONAL}),
}

MODEL_META = {
    "period_from": "2024-Q1",
    "period_to": "2024-Q4",
    "unit_type": "20",
    "population_description": "Alle syntetiske personer.",
    "temporality_type": "STATUS",
    "data_source": "50",
    "subject_field": "al03",
    "owner": "212",
    "dataset_status": "INTERNAL",
}


def _node(
    unique_id: str, name: str, path: str, columns: dict[str, Any], parents: list[str], **extra: Any
) -> dict[str, Any]:
    return {
        "unique_id": unique_id,
        "resource_type": "model",
        "package_name": "syntetisk",
        "name": name,
        "original_file_path": path,
        "patch_path": f"syntetisk://{path.rsplit('/', 1)[0]}/_{name}.yml",
        "database": "syntetisk",
        "schema": path.split("/")[1],
        "alias": name,
        "description": f"Modellen {name}.",
        "columns": columns,
        "depends_on": {"nodes": parents, "macros": []},
        "config": {"meta": {}},
        "meta": {},
        **extra,
    }


def name_datasets(manifest: dict[str, Any]) -> None:
    """Name every published model version as dbt does when it names its relation (macros/naming/
    generate_alias_name.sql): ``meta.dataset_stem`` from the model name, its periods and version, and
    ``meta.product``. Call it again after changing a node's version or periods."""
    for node in manifest["nodes"].values():
        if node.get("version") is None or node["original_file_path"].split("/")[1] not in (*FOLDERS, "inndata"):
            continue
        meta = node["config"]["meta"]
        period_from, period_to = meta.get("period_from") or "2024-Q1", meta.get("period_to")
        stem = f"{node['name'].replace('_', '-')}_p{period_from}"
        if period_to and period_to != period_from:
            stem += f"_p{period_to}"
        meta["dataset_stem"] = f"{stem}_v{node['version']}"
        meta["product"] = "syntetisk"


def artifacts(models: int) -> Artifacts:
    """Artifacts for ``models`` published models (each with its own intermediate and staging model)."""
    nodes: dict[str, Any] = {}
    catalog: dict[str, Any] = {}
    parent_map: dict[str, list[str]] = {}
    for number in range(models):
        staging_id = f"model.syntetisk.stg_kilde__tabell_{number}"
        staging_columns = {
            name: {"name": name, "description": f"Kolonnen {name}, dokumentert der den kommer inn.", "meta": dict(meta)}
            for name, (_, meta) in COLUMNS.items()
        }
        nodes[staging_id] = _node(
            staging_id,
            f"stg_kilde__tabell_{number}",
            f"models/staging/kilde/stg_kilde__tabell_{number}.sql",
            staging_columns,
            [],
        )
        intermediate_id = f"model.syntetisk.int_tabell_{number}"
        nodes[intermediate_id] = _node(
            intermediate_id,
            f"int_tabell_{number}",
            f"models/intermediate/int_tabell_{number}.sql",
            {name: {"name": name, "description": "", "meta": {}} for name in COLUMNS},
            [staging_id],
        )
        folder = FOLDERS[number % len(FOLDERS)]
        name = f"tabell_{number}"
        published_id = f"model.syntetisk.{name}.v1"
        published_columns = {column: {"name": column, "description": "", "meta": {}} for column in COLUMNS}
        published = _node(
            published_id,
            name,
            f"models/{folder}/{name}_v1.sql",
            published_columns,
            [intermediate_id],
            version=1,
            latest_version=1,
        )
        published["alias"] = f"{name}_v1"
        published["config"]["meta"] = dict(MODEL_META)
        nodes[published_id] = published
        parent_map.update({staging_id: [], intermediate_id: [staging_id], published_id: [intermediate_id]})
        catalog[published_id] = {
            "metadata": {"schema": folder, "name": f"{name}_v1"},
            "columns": {
                column: {"name": column, "type": kind, "index": index}
                for index, (column, (kind, _)) in enumerate(COLUMNS.items(), start=1)
            },
        }
    manifest = {
        "metadata": {"project_name": "syntetisk", "adapter_type": "duckdb"},
        "nodes": nodes,
        "sources": {},
        "parent_map": parent_map,
    }
    name_datasets(manifest)
    return Artifacts(manifest, {"nodes": catalog}, None)
