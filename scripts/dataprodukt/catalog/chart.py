"""The figure on a statistics or open dataset's page: its published measure by period, read from the warehouse.

What is drawn: meta ``chart`` on the model, ``{x: <period column>, y: <measure>, weight: <column>}``, where
``weight`` makes each period's figure the weighted mean of the cells (``sum(y * weight) / sum(weight)``, which for
a rate such as lost / agreed working days is the rate of the sums), and without it the sum. Without meta
``chart`` the first column with role START_TIME is the period and the first numeric MEASURE the measure, summed;
``chart: false`` draws nothing. Cells whose measure is empty (suppressed in an open table) are left out, so the
figure shows what is published. The page draws the points as inline SVG: no script or font from the network.
"""

from __future__ import annotations

import sys
from decimal import Decimal
from typing import Any

from dataprodukt.core.warehouse import Warehouse
from dataprodukt.rules.identity import Dataset, node_meta

CHART_STATES = {"STATISTICS", "OUTPUT_DATA"}
NUMERIC = {"INTEGER", "FLOAT"}


def spec(dataset: Dataset, variables: list[dict[str, Any]]) -> dict[str, str] | None:
    """Which columns the figure shows (x, y and maybe weight), or None."""
    if dataset.dataset_state not in CHART_STATES:
        return None
    wanted = node_meta(dataset.node).get("chart")
    names = {str(variable["short_name"]).lower(): str(variable["short_name"]) for variable in variables}
    if wanted is False:
        return None
    if isinstance(wanted, dict):
        chosen = {key: names.get(str(wanted.get(key) or "").lower(), "") for key in ("x", "y", "weight")}
        return {key: value for key, value in chosen.items() if value} if chosen["x"] and chosen["y"] else None
    x = next((v["short_name"] for v in variables if v.get("role") == "START_TIME"), None)
    y = next((v["short_name"] for v in variables if v.get("role") == "MEASURE" and v.get("data_type") in NUMERIC), None)
    return {"x": str(x), "y": str(y)} if x and y else None


def _number(value: Any) -> float | None:
    if value is None:
        return None
    return float(value) if isinstance(value, (int, float, Decimal)) else float(str(value))


def points(warehouse: Warehouse, dataset: Dataset, chosen: dict[str, str]) -> list[dict[str, Any]]:
    """(period, value) in period order, from the published relation."""
    _database, schema, name = dataset.relation
    x, y = warehouse.quote(chosen["x"]), warehouse.quote(chosen["y"])
    weight = warehouse.quote(chosen["weight"]) if chosen.get("weight") else None
    measure = f"sum({y} * {weight}), sum({weight})" if weight else f"sum({y}), count(*)"
    where = f"{y} is not null" + (f" and {weight} is not null" if weight else "")
    rows = warehouse.query(
        f"select {x}, {measure} from {warehouse.quote(schema, name)} where {where} group by {x} order by {x}"
    )
    found = []
    for period, total, denominator in rows:
        amount, base = _number(total), _number(denominator)
        value = (amount / base if amount is not None and base else None) if weight else amount
        if value is not None:
            found.append({"x": str(period), "y": round(value, 4)})
    return found


def chart(warehouse: Warehouse, dataset: Dataset, variables: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Everything the page needs to draw the figure; None when there is none (or the warehouse can't say)."""
    chosen = spec(dataset, variables)
    if chosen is None:
        return None
    try:
        found = points(warehouse, dataset, chosen)
    except Exception as error:  # a page without the figure is still a catalog; say why
        print(f"dataprodukt catalog: no figure for {dataset.model}: {error}", file=sys.stderr)
        return None
    unit = next((v.get("measurement_unit") for v in variables if v["short_name"] == chosen["y"]), "") or ""
    return {**chosen, "unit": unit, "weighted": bool(chosen.get("weight")), "points": found} if found else None
