"""Names and folders follow the data flow: stg_<source>__<entity> under staging/<source>/, int_ under
intermediate/, and published models (one folder per data state, ``naming_standard.DATA_STATES``) are versioned
dbt models that their folder's config builds with the ``published_table`` materialization (the macros recognise
a published model by it), and no other model is."""

from __future__ import annotations

import re

from dataprodukt.checks import CheckContext, Violation
from dataprodukt.rules.identity import STATES

NAME = "layout"
PUBLISHED = "published_table"
LAYERS = ("staging", "intermediate", *STATES)
STAGING_NAME = re.compile(r"^stg_(?P<source>[a-z0-9]+(?:_[a-z0-9]+)*)__(?P<entity>[a-z0-9]+(?:_[a-z0-9]+)*)$")


def run(context: CheckContext) -> list[Violation]:
    violations = []
    for node in context.nodes("model"):
        name, path = node["name"], node["original_file_path"]
        parts = path.split("/")
        layer = parts[1] if len(parts) > 2 else ""
        materialized = (node.get("config") or {}).get("materialized")

        def fail(subject: str, rule: str, name: str = name, path: str = path) -> None:
            violations.append(Violation(name, path, None, subject, rule, NAME))

        if layer not in LAYERS:
            fail("folder", f"models live in one of models/{{{', '.join(LAYERS)}}}/")
            continue
        if layer in STATES:
            if node.get("version") is None:
                fail(
                    "version",
                    "a published model (data state folder) is a versioned dbt model: add `versions:` in its YAML",
                )
            if materialized != PUBLISHED:
                fail(
                    "materialized",
                    f"a published model is built by the {PUBLISHED} materialization (set by its folder in "
                    f"dbt_project.yml), not {materialized!r}: remove the materialized config",
                )
            continue
        if materialized == PUBLISHED:
            fail("materialized", f"only models in a data-state folder ({', '.join(STATES)}) are {PUBLISHED}")
        if layer == "staging":
            match = STAGING_NAME.match(name)
            if not match:
                fail("name", "a staging model is named stg_<source>__<entity> (lower_snake, double underscore)")
            elif len(parts) < 4 or parts[2] != match["source"]:
                fail(
                    "folder",
                    f"a staging model of source {match['source']!r} lives in models/staging/{match['source']}/",
                )
        elif layer == "intermediate" and not name.startswith("int_"):
            fail("name", "an intermediate model is named int_<topic>_<purpose>")
    return violations
