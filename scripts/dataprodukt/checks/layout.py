"""Names and folders follow the data flow: stg_<source>__<entity> under staging/<source>/, int_ under
intermediate/, and published models (one folder per data state) are versioned dbt models."""

from __future__ import annotations

import re

from dataprodukt.checks import CheckContext, Violation

NAME = "layout"
STATE_FOLDERS = ("inndata", "klargjorte_data", "statistikk", "utdata")
LAYERS = ("staging", "intermediate", *STATE_FOLDERS)
STAGING_NAME = re.compile(r"^stg_(?P<source>[a-z0-9]+(?:_[a-z0-9]+)*)__(?P<entity>[a-z0-9]+(?:_[a-z0-9]+)*)$")


def run(context: CheckContext) -> list[Violation]:
    violations = []
    for node in context.nodes("model"):
        name, path = node["name"], node["original_file_path"]
        parts = path.split("/")
        layer = parts[1] if len(parts) > 2 else ""

        def fail(subject: str, rule: str, name: str = name, path: str = path) -> None:
            violations.append(Violation(name, path, None, subject, rule, NAME))

        if layer not in LAYERS:
            fail("folder", f"models live in one of models/{{{', '.join(LAYERS)}}}/")
            continue
        if layer == "staging":
            match = STAGING_NAME.match(name)
            if not match:
                fail("name", "a staging model is named stg_<source>__<entity> (lower_snake, double underscore)")
            elif len(parts) < 4 or parts[2] != match["source"]:
                fail(
                    "folder",
                    f"a staging model of source {match['source']!r} lives in models/staging/{match['source']}/",
                )
        elif layer == "intermediate":
            if not name.startswith("int_"):
                fail("name", "an intermediate model is named int_<topic>_<purpose>")
        elif node.get("version") is None:
            fail(
                "version", "a published model (data state folder) is a versioned dbt model: add `versions:` in its YAML"
            )
    return violations
