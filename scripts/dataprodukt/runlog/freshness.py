"""Source freshness: ``dbt source freshness`` through the run's session, recorded in the run log.

A stale source is shown (the run log, ``dataprodukt status``, the catalog page), never fatal to the job. It runs
before ``dbt docs generate``, so the manifest the later steps read is the one with compiled SQL.
"""

from __future__ import annotations

import sys

from dataprodukt.core.context import RunContext
from dataprodukt.core.errors import UserError


def check(context: RunContext) -> None:
    try:
        context.invoke(["source", "freshness"])
    except UserError as error:
        # a source past error_after fails the command; the run log and `dataprodukt status` show which one
        print(f"dataprodukt: source freshness: {error}", file=sys.stderr)
