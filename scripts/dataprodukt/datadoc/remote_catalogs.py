"""The catalogs people open, besides the folder, the page and the warehouse table: configured, else left alone.

Nothing is sent unless ``vars: catalogs:`` in dbt_project.yml names a sink; secrets come from the environment
(``token_env`` names the variable holding a sink's bearer token). Sinks:

- ``nav_dbt_docs``: NAV's dbt docs host, the dbt docs site (``url``, ``team``, optional ``project``);
- ``nav_datamarkedsplassen``: a NAV data marketplace dataset description per published model (``url``,
  ``dataproduct_id``, ``bigquery_project``, optional ``repo``).

The main job pushes after the catalog page; ``dataprodukt push`` does it alone (``--dry-run`` shows what would be
sent).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from dataprodukt.core.errors import UserError
from dataprodukt.datadoc import nav_dbt_docs, nav_marketplace

VAR = "catalogs"
REQUIRED = {
    "nav_dbt_docs": ("url", "team"),
    "nav_datamarkedsplassen": ("url", "dataproduct_id", "bigquery_project"),
}


def configured(variables: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The sinks ``vars: catalogs:`` configures (``enabled: false`` leaves one out); a UserError for a wrong one."""
    found = variables.get(VAR) or {}
    if not isinstance(found, dict):
        raise UserError(f"vars {VAR} in dbt_project.yml is not a mapping: write {VAR}: {{nav_dbt_docs: {{...}}}}")
    sinks = {}
    for name, config in found.items():
        if name not in REQUIRED:
            raise UserError(f"vars {VAR}: unknown catalog {name!r}: choose from {', '.join(REQUIRED)}")
        if not isinstance(config, dict) or config.get("enabled") is False:
            continue
        missing = [key for key in REQUIRED[name] if not str(config.get(key) or "").strip()]
        if missing:
            raise UserError(f"vars {VAR}.{name} in dbt_project.yml: set {', '.join(missing)} (see docs/catalog.md)")
        sinks[name] = config
    return sinks


def token(name: str, config: dict[str, Any]) -> str | None:
    """The sink's bearer token from the environment variable ``token_env`` names (None when it names none)."""
    variable = str(config.get("token_env") or "").strip()
    if not variable:
        return None
    value = os.environ.get(variable, "").strip()
    if not value:
        raise UserError(f"vars {VAR}.{name}: the environment variable {variable} (token_env) is not set: set it")
    return value


def push(
    variables: dict[str, Any], project: str, manifest: dict[str, Any], target_dir: Path, dry_run: bool = False
) -> list[str]:
    """Send to every configured sink; one line per thing sent (or that would be)."""
    sinks = configured(variables)
    lines: list[str] = []
    if "nav_dbt_docs" in sinks:
        config = sinks["nav_dbt_docs"]
        if dry_run:
            files = nav_dbt_docs.site_files(target_dir)
            url = nav_dbt_docs.address(str(config["url"]), str(config["team"]), str(config.get("project") or project))
            lines.append(f"would PUT {', '.join(files)} to {url}")
        else:
            url, _answer = nav_dbt_docs.push(config, target_dir, project, token("nav_dbt_docs", config))
            lines.append(f"dbt docs site -> {url}")
    if "nav_datamarkedsplassen" in sinks:
        config = sinks["nav_datamarkedsplassen"]
        bodies = nav_marketplace.descriptions(manifest, _classes(manifest), config)
        if dry_run:
            where = nav_marketplace.address(config)
            lines += [f"would create or update at {where}: {json.dumps(body, ensure_ascii=False)}" for body in bodies]
        else:
            for name, method, _answer in nav_marketplace.push(config, bodies, token("nav_datamarkedsplassen", config)):
                done = "updated" if method == "PUT" else "created"
                lines.append(f"dataset description {name} {done} -> {nav_marketplace.address(config)}")
    return lines


def _classes(manifest: dict[str, Any]) -> dict[tuple[str, str], tuple[str, str | None]]:
    from dataprodukt.datadoc.exporter import personal_data_classes

    classes = personal_data_classes(manifest)
    if classes is None:
        raise UserError(
            f"{nav_marketplace.WHAT}: the manifest has no compiled SQL, so the personal-data classes are unknown: "
            "run `dbt build` or `dataprodukt run` first"
        )
    return classes


def step(context: Any) -> None:
    """The main job's step: push where configured, else say nothing is sent."""
    variables = context.project.variables
    if not configured(variables):
        print(f"remote catalogs: none configured (vars {VAR} in dbt_project.yml): nothing sent", flush=True)
        return
    lines = push(variables, context.project.name, context.manifest, context.project.target_dir)
    for line in lines:
        print(f"remote catalogs: {line}", flush=True)
