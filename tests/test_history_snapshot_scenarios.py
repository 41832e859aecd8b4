"""The template's staging query of a history run returns what dbt's own would, for every kind of snapshot
configuration, on DuckDB and PostgreSQL.

tests/projects/snapshot_scenarios holds one pair of snapshots per scenario (strategy, columns compared, meta column
names, dbt_valid_to_current, key, kind of source): `hist_<scenario>` runs the template's
default__snapshot_staging_table, its twin `hist_<scenario>__dbt` dbt's own, with the same configuration and source.
Four steps of source states (inserts, updates, deletions, re-inserts, a new column, a removed column) are recorded,
each with one `dbt snapshot` (dbtRunner, in this process) whose clock is fixed for the step, so the twins stamp the
same times and hash the same ids. After every step each pair's tables must be equal: the same columns (names,
types, order) and the same rows, ids and times included, as multisets.
"""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO
from tests.support import postgres

PROJECT = Path(__file__).parent / "projects" / "snapshot_scenarios"
ENGINES = [pytest.param("duckdb", id="duckdb"), pytest.param("postgres", id="postgres", marks=pytest.mark.postgres)]
# what tells the two staging queries apart in the SQL dbt runs
TEMPLATE_QUERY, DBT_QUERY = "compared as (", "insertions_source_data as ("

T1, T2, T3 = datetime(2025, 1, 1, 10), datetime(2025, 1, 2, 10), datetime(2025, 1, 3, 10)
Row = dict[str, Any]


def line(
    key: str,
    customer: str | None,
    amount: str,
    status: str,
    updated_at: datetime,
    *,
    line_no: int | None = None,
    order_date: date = date(2025, 1, 1),
    word: str = "first",
    changed_at: datetime | None = None,
    note: str | None = None,
    channel: str | None = None,
) -> Row:
    """One order line of raw.orders; key 'A2' is line 2 of order 'A' unless line_no says otherwise."""
    return {
        "id": key,
        "order_id": key[0],
        '"Line No"': line_no if line_no is not None else int(key[1:]),
        "customer": customer,
        "amount": Decimal(amount),
        "status": status,
        "updated_at": updated_at,
        '"Order Date"': order_date,
        '"order"': word,
        '"Changed At"': changed_at or updated_at,
        "note": note,
        "channel": channel,
    }


ORDER_TYPES = {
    "id": "varchar(10)",
    "order_id": "varchar(10)",
    '"Line No"': "integer",
    "customer": "varchar(20)",
    "amount": "numeric(10, 2)",
    "status": "varchar(20)",
    "updated_at": "timestamp",
    '"Order Date"': "date",
    '"order"': "varchar(20)",
    '"Changed At"': "timestamp",
    "note": "varchar(20)",
    "channel": "varchar(20)",
}
CHANGE_TYPES = {
    "id": "varchar(10)",
    "customer": "varchar(20)",
    "amount": "numeric(10, 2)",
    "updated_at": "timestamp",
    "change_kind": "varchar(1)",
}


@dataclass
class Step:
    """A source state: the full extract raw.orders (with the columns it has then) and the changes since the
    last step (raw.order_changes), with raw.order_state the full extract those changes amount to."""

    orders: list[Row]
    order_columns: list[str]
    changes: list[tuple[str, str, str, datetime, str]]


BASE = [name for name in ORDER_TYPES if name not in {"note", "channel"}]
STEPS = [
    Step(
        [
            line("A1", "Kari", "100.00", "open", T1, note="n1"),
            line("A2", "Kari", "50.00", "open", T1),
            line("B1", "Ola", "75.50", "open", T1, note="n3"),
            line("C1", None, "20.00", "open", T1),
            line("D1", "Per", "10.00", "open", T1),
            line("F1", "Liv", "5.00", "open", T1),
        ],
        [*BASE, "note"],
        [
            ("X1", "Kari", "10.00", T1, "I"),
            ("X2", "Ola", "20.00", T1, "I"),
            ("X3", "Per", "30.00", T1, "I"),
            ("X9", "Ukjent", "1.00", T1, "D"),  # deletes a key never seen
        ],
    ),
    # A1 changed with a new time; A2's customer becomes null, same time; B1 and F1 deleted; C1 gets a new time and
    # date, same values otherwise; D1's reserved-word column changes (with a new "Changed At" only); E1 is new
    Step(
        [
            line("A1", "Kari", "120.00", "paid", T2, note="n1"),
            line("A2", None, "50.00", "open", T1),
            line("C1", None, "20.00", "open", T2, order_date=date(2025, 1, 5)),
            line("D1", "Per", "10.00", "open", T1, word="second", changed_at=T2),
            line("E1", "Eva", "30.00", "open", T2),
        ],
        [*BASE, "note"],
        [
            ("X1", "Kari", "11.00", T2, "U"),
            ("X2", "Ola", "21.00", T1, "U"),  # a change without a new time
            ("X3", "Per", "30.00", T2, "D"),
            ("X4", "Eva", "40.00", T2, "I"),
            ("X8", "Borte", "1.00", T2, "D"),  # deletes a key never seen
        ],
    ),
    # a new column (channel); A1 deleted; A2's status changes without a new time; B1 back, with a time older
    # than its deletion; E1 changes with an older time; F1 stays deleted
    Step(
        [
            line("A2", None, "50.00", "paid", T1, channel="web"),
            line("B1", "Ola", "75.50", "open", T2, note="n3"),
            line("C1", None, "20.00", "open", T2, order_date=date(2025, 1, 5)),
            line("D1", "Per", "10.00", "open", T1, word="second", changed_at=T2, channel="shop"),
            line("E1", "Eva", "30.00", "cancelled", T1),
        ],
        [*BASE, "note", "channel"],
        [
            ("X3", "Per", "31.00", T3, "I"),  # back after its deletion
            ("X4", "Eva", "40.00", T3, "D"),
            ("X1", "Kari", "12.00", T1, "U"),  # an older time
        ],
    ),
    # a removed column (note); A1 back; A2's customer back from null; B1 deleted again; D1's new column changes;
    # E1 moves to line 2 (the same id, another (order_id, "Line No"))
    Step(
        [
            line("A1", "Kari", "130.00", "paid", T3, channel="web"),
            line("A2", "Kari", "50.00", "paid", T3, channel="web"),
            line("C1", None, "20.00", "open", T2, order_date=date(2025, 1, 5)),
            line("D1", "Per", "10.00", "open", T1, word="second", changed_at=T2, channel="web"),
            line("E1", "Eva", "30.00", "cancelled", T1, line_no=2),
        ],
        [*BASE, "channel"],
        [
            ("X3", "Per", "31.00", T3, "D"),
            ("X4", "Eva", "40.00", T3, "D"),  # deletes a key already deleted
            ("X5", "Liv", "50.00", T3, "I"),
        ],
    ),
]


def clock(step: int) -> str:
    """The snapshot time of a step: later than every source time, one day per step."""
    return f"2030-01-0{step + 1} 00:00:00"


# ---- writing a source state and reading the snapshots ---------------------------------------------------------
def literal(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, datetime):
        return f"cast('{value:%Y-%m-%d %H:%M:%S}' as timestamp)"
    if isinstance(value, date):
        return f"cast('{value.isoformat()}' as date)"
    if isinstance(value, int | Decimal):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def replace_table(name: str, types: dict[str, str], columns: list[str], rows: list[Row]) -> list[str]:
    """SQL replacing raw.<name> with `rows` over `columns` (in that order)."""
    statements = [
        f"drop table if exists raw.{name}",
        f"create table raw.{name} ({', '.join(f'{column} {types[column]}' for column in columns)})",
    ]
    if rows:
        values = ", ".join("(" + ", ".join(literal(row[column]) for column in columns) + ")" for row in rows)
        statements.append(f"insert into raw.{name} ({', '.join(columns)}) values {values}")
    return statements


def source_state(number: int) -> list[str]:
    """SQL writing step `number`'s source state: raw.orders, raw.order_changes and raw.order_state."""
    step = STEPS[number]
    state: dict[str, Row] = {}
    for previous in STEPS[: number + 1]:
        for change in previous.changes:
            row = dict(zip(CHANGE_TYPES, change, strict=True))
            if row["change_kind"] == "D":
                state.pop(row["id"], None)
            else:
                state[row["id"]] = row
    changes = [dict(zip(CHANGE_TYPES, change, strict=True)) for change in step.changes]
    columns = list(CHANGE_TYPES)
    return [
        "create schema if not exists raw",
        *replace_table("orders", ORDER_TYPES, step.order_columns, step.orders),
        *replace_table("order_changes", CHANGE_TYPES, columns, changes),
        *replace_table("order_state", CHANGE_TYPES, columns, list(state.values())),
    ]


@dataclass
class Table:
    columns: list[tuple[Any, ...]]
    rows: list[tuple[Any, ...]]


@dataclass
class Warehouse:
    connect: Callable[[], Any]

    def execute(self, statements: list[str]) -> None:
        with closing(self.connect()) as connection:
            cursor = connection.cursor()
            for statement in statements:
                cursor.execute(statement)
            connection.commit()

    def table(self, schema: str, name: str) -> Table:
        """A snapshot's columns (name, type, length, precision, scale, in order) and rows."""
        with closing(self.connect()) as connection:
            cursor = connection.cursor()
            cursor.execute(
                "select column_name, data_type, character_maximum_length, numeric_precision, numeric_scale "
                f"from information_schema.columns where table_schema = '{schema}' and table_name = '{name}' "
                "order by ordinal_position"
            )
            columns = [tuple(column) for column in cursor.fetchall()]
            cursor.execute(f'select * from {schema}."{name}"')
            return Table(columns, [tuple(row) for row in cursor.fetchall()])


# ---- dbt, in this process -------------------------------------------------------------------------------------
@dataclass
class Run:
    """One `dbt snapshot`: each snapshot's status and message, and the staging queries it ran."""

    results: dict[str, tuple[str, str]]
    staging_queries: dict[str, set[str]]

    def failures(self, *snapshots: str) -> list[str]:
        found = []
        for name in snapshots:
            status, message = self.results.get(name, ("not run", ""))
            if status != "success":
                found.append(f"{name} {status}: {' '.join(message.split())[:400]}")
        return found


def dbt_snapshot(root: Path, target: str, step: int, monkeypatch: pytest.MonkeyPatch) -> Run:
    """`dbt snapshot` at step `step`'s clock (scenario_macros/snapshot_get_time.sql)."""
    from dbt.cli.main import dbtRunner

    monkeypatch.setenv("SNAPSHOT_SCENARIOS_TIME", clock(step))
    staging_queries: dict[str, set[str]] = {}

    def collect(event: Any) -> None:
        if event.info.name == "SQLQuery":
            found = {marker for marker in (TEMPLATE_QUERY, DBT_QUERY) if marker in event.data.sql}
            if found:
                name = event.data.node_info.unique_id.rsplit(".", 1)[-1]
                staging_queries.setdefault(name, set()).update(found)

    result = dbtRunner(callbacks=[collect]).invoke(
        [
            "snapshot",
            "--project-dir",
            str(root),
            "--profiles-dir",
            str(root),
            "--target",
            target,
        ]
    )
    assert result.exception is None, f"dbt snapshot (step {step}) failed: {result.exception}"
    results = {item.node.name: (str(item.status), str(item.message)) for item in result.result.results}
    return Run(results, staging_queries)


def pairs(root: Path) -> dict[str, dict[str, Any]]:
    """Every scenario's twin snapshots from dbt's manifest, checked to differ only in the staging query's meta."""
    manifest = json.loads((root / "target" / "manifest.json").read_text(encoding="utf-8"))
    nodes = {node["name"]: node for node in manifest["nodes"].values() if node["resource_type"] == "snapshot"}
    scenarios = {name: nodes[name] for name in nodes if not name.endswith("__dbt")}
    assert set(nodes) == set(scenarios) | {f"{name}__dbt" for name in scenarios}, "every scenario has one twin"
    for name, node in scenarios.items():
        ours, theirs = node["config"], nodes[f"{name}__dbt"]["config"]
        assert theirs["meta"].get("staging_query") == "dbt" and "staging_query" not in ours["meta"], name
        assert {**ours, "meta": None} == {**theirs, "meta": None}, f"{name}: the twins' configs differ"
    return scenarios


# ---- the test -------------------------------------------------------------------------------------------------
def differences(name: str, ours: Table, theirs: Table) -> list[str]:
    if ours.columns != theirs.columns:
        return [f"{name}: columns {ours.columns}\n  dbt's {theirs.columns}"]
    missing = list((Counter(theirs.rows) - Counter(ours.rows)).elements())
    extra = list((Counter(ours.rows) - Counter(theirs.rows)).elements())
    if missing or extra:
        names = [column[0] for column in ours.columns]
        return [f"{name}: columns {names}\n  missing (dbt has them) {missing[:6]}\n  unexpected {extra[:6]}"]
    return []


def records_a_change_and_a_return(table: Table) -> bool:
    """Whether a history holds a closed live row (a version replaced or deleted) and a closed deletion row (a key
    deleted, then back): the scenario exercised more than inserts."""
    names = [column[0] for column in table.columns]
    deleted = names.index("er_slettet" if "er_slettet" in names else "dbt_is_deleted")
    valid_to = names.index("gyldig_til" if "gyldig_til" in names else "dbt_valid_to")

    def closed(row: tuple[Any, ...]) -> bool:
        return row[valid_to] is not None and row[valid_to].year != 9999

    return any(closed(row) and row[deleted] == "True" for row in table.rows) and any(
        closed(row) and row[deleted] == "False" for row in table.rows
    )


@pytest.mark.parametrize("target", ENGINES)
def test_each_scenario_records_the_same_history_as_dbts_own_query(
    target: str, tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "snapshot_scenarios"
    shutil.copytree(PROJECT, root)
    shutil.copytree(REPO / "macros", root / "macros", ignore=shutil.ignore_patterns("__pycache__"))
    if target == "postgres":
        variables = request.getfixturevalue("pg_env")
        warehouse = Warehouse(lambda: postgres.connect(variables))
    else:
        import duckdb

        database = tmp_path / "scenarios.duckdb"
        variables = {"SNAPSHOT_SCENARIOS_DUCKDB": str(database)}
        warehouse = Warehouse(lambda: duckdb.connect(str(database)))

    # dbt runs in this process: the profile's variables, and none of the caller's DBT_ settings
    for name in [name for name in os.environ if name.startswith("DBT_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")
    for name, value in variables.items():
        monkeypatch.setenv(name, value)

    # the first difference of each scenario (later steps build on it)
    problems: dict[str, str] = {}
    for step in range(len(STEPS)):
        warehouse.execute(source_state(step))
        run = dbt_snapshot(root, target, step, monkeypatch)
        scenarios = pairs(root)
        for name, node in scenarios.items():
            if step > 0:
                # the run really compared the template's query with dbt's (not one query twice)
                assert run.staging_queries.get(name) == {TEMPLATE_QUERY}, (name, run.staging_queries.get(name))
                assert run.staging_queries.get(f"{name}__dbt") == {DBT_QUERY}, name
            if name in problems:
                continue
            found = run.failures(name, f"{name}__dbt") or differences(
                name, warehouse.table(node["schema"], name), warehouse.table(node["schema"], f"{name}__dbt")
            )
            if found:
                problems[name] = f"step {step}: " + "\n".join(found)
    assert not problems, "the template's history differs from dbt's:\n" + "\n".join(problems.values())
    for name, node in scenarios.items():
        assert records_a_change_and_a_return(warehouse.table(node["schema"], name)), (
            f"{name}: the scenario records no replaced version or no key deleted and back"
        )
