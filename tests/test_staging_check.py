"""The staging rule, applied to compiled SQL: one bad model per forbidden construct, each with the exact line the
check prints; good models in every style pass. Table-driven over the pure analysis (DuckDB, PostgreSQL and
BigQuery dialects), plus end-to-end `dataprodukt check` runs on a project copy with a planted bad model."""

from __future__ import annotations

from pathlib import Path

import pytest

from dataprodukt.checks.staging import StagingModel, check_model
from tests.conftest import clean_env, run_cli

NAME = "stg_kilde__tabell"
PATH = "models/staging/kilde/stg_kilde__tabell.sql"
RELATION = '"db"."raw"."tabell"'
COLUMNS = ("FNR", "GRAD", "FOM", "TOM")
DEFAULT = (
    "fnr as fodselsnummer",
    "cast(grad as integer) as grad",
    "cast(fom as date) as fra_og_med",
    "tom as til_og_med",
)


def sql(
    columns: tuple[str, ...] = DEFAULT, tail: str = "", relation: str = RELATION, select: str = "select"
) -> str:
    """An import-CTE staging model: the source on line 3, `select` on line 6, columns from line 7, then
    `from source` and the tail on the next two lines."""
    listed = ",\n".join(f"        {column}" for column in columns)
    return (
        f"with\nsource as (\n    select * from {relation}\n),\nrenamed as (\n    {select}\n{listed}\n"
        f"    from source\n    {tail}\n)\nselect * from renamed\n"
    )


def lines(
    code: str,
    dialect: str = "duckdb",
    relation: str = RELATION,
    columns: tuple[str, ...] = COLUMNS,
    dropped: dict[str, object] | None = None,
    exceptions: dict[str, object] | None = None,
) -> tuple[list[str], list[str]]:
    model = StagingModel(
        name=NAME,
        path=PATH,
        raw_code=code,
        compiled_code=code,
        dialect=dialect,
        sources={relation: ("kilde.tabell", columns)},
        dropped=dropped or {},
        exceptions=exceptions or {},
    )
    violations, notes = check_model(model)
    return [str(violation) for violation in sorted(violations)], notes


def at(line: int, text: str) -> str:
    return f"{NAME} ({PATH}:{line}): {text}"


MISSING_TOM = at(
    3,
    "source column TOM: missing from the output: select it (renamed or cast), "
    "or declare it in the model's meta.dropped_columns with a reason",
)
NOT_A_CAST = (
    "not a rename or one cast of one source column: derive it in an intermediate model "
    "(or declare meta.staging_exception with a reason on the column)"
)
OTHER = '"db"."raw"."annen"'

# one bad model per forbidden construct: (id, SQL, the exact lines printed)
BAD = [
    (
        "join",
        sql(tail=f"join {OTHER} on source.fnr = annen.fnr"),
        [
            at(3, "FROM: reads 2 relations (db.raw.tabell, db.raw.annen): a staging model reads exactly one source"),
            at(12, "JOIN: a staging model reads one source: join in an intermediate model"),
            at(
                12,
                "relation db.raw.annen: not a dbt source() of this model: "
                "a staging model reads its raw table through source()",
            ),
        ],
    ),
    (
        "comma join",
        f'select fnr as fodselsnummer, grad, fom, tom\nfrom "db"."raw"."tabell", {OTHER}\n',
        [
            at(2, "FROM: reads 2 relations (db.raw.tabell, db.raw.annen): a staging model reads exactly one source"),
            at(2, "JOIN: a staging model reads one source: join in an intermediate model"),
            at(
                2,
                "relation db.raw.annen: not a dbt source() of this model: "
                "a staging model reads its raw table through source()",
            ),
        ],
    ),
    ("where", sql(tail="where fnr is not null"), [at(12, "WHERE: staging keeps every row: filter in an intermediate model")]),
    (
        "subquery filter",
        sql(tail=f"where fnr in (select fnr from {RELATION})"),
        [at(12, "WHERE: a subquery filter drops rows: filter in an intermediate model")],
    ),
    (
        "group by",
        sql(tail="group by fnr, grad, fom, tom"),
        [at(12, "GROUP BY: staging keeps the source's grain: aggregate in an intermediate model")],
    ),
    (
        "having",
        sql(tail="group by fnr, grad, fom, tom\n    having count(*) > 1"),
        [
            at(12, "GROUP BY: staging keeps the source's grain: aggregate in an intermediate model"),
            at(13, "HAVING: staging keeps every row: filter in an intermediate model"),
        ],
    ),
    (
        "qualify",
        sql(tail="qualify row_number() over (partition by fnr order by fom) = 1"),
        [at(12, "QUALIFY: staging keeps every row: deduplicate in an intermediate model")],
    ),
    (
        "window",
        sql(columns=(*DEFAULT[:3], "row_number() over (partition by tom) as til_og_med")),
        [
            at(
                10,
                "column til_og_med: window function: staging keeps values as delivered: "
                "compute it in an intermediate model",
            )
        ],
    ),
    (
        "aggregate",
        sql(columns=(*DEFAULT[:3], "max(tom) as til_og_med")),
        [at(10, "column til_og_med: aggregate: staging keeps the source's grain: aggregate in an intermediate model")],
    ),
    (
        "distinct",
        sql(select="select distinct"),
        [at(6, "DISTINCT: staging keeps every row: deduplicate in an intermediate model")],
    ),
    (
        "union",
        sql(tail=f"union all select fnr, grad, fom, tom from {RELATION}"),
        [at(12, "UNION: a staging model reads one source: combine sources in an intermediate model")],
    ),
    (
        "except",
        sql(tail=f"except select fnr, grad, fom, tom from {RELATION}"),
        [at(12, "EXCEPT: a staging model reads one source: combine sources in an intermediate model")],
    ),
    ("order by", sql(tail="order by fnr"), [at(12, "ORDER BY: staging output has no order: sort where the data is used")]),
    ("limit", sql(tail="limit 10"), [at(12, "LIMIT: staging keeps every row: remove the limit")]),
    (
        "literal-only column",
        sql(columns=(*DEFAULT[:3], "'x' as til_og_med")),
        [
            MISSING_TOM,
            at(
                10,
                "column til_og_med: literal-only column: staging adds no values: add constants in an intermediate model",
            ),
        ],
    ),
    ("derived value", sql(columns=(*DEFAULT[:3], "upper(tom) as til_og_med")), [at(10, f"column til_og_med: {NOT_A_CAST}")]),
    (
        "arithmetic on a cast",
        sql(columns=(*DEFAULT[:3], "cast(tom as integer) + 1 as til_og_med")),
        [at(10, f"column til_og_med: {NOT_A_CAST}")],
    ),
    (
        "two casts",
        sql(columns=(DEFAULT[0], "cast(cast(grad as varchar) as integer) as grad", *DEFAULT[2:])),
        [at(8, "column grad: more than one cast: cast the source column once, to its final type")],
    ),
    (
        "scalar subquery",
        sql(columns=(*DEFAULT[:3], f"(select max(tom) from {RELATION}) as til_og_med")),
        [at(10, "column til_og_med: subquery in a column: derive it in an intermediate model")],
    ),
    ("source column missing", sql(columns=DEFAULT[:3]), [MISSING_TOM]),
    (
        "not a source",
        sql(relation='"db"."intermediate"."int_sykmeldinger"'),
        [
            at(
                3,
                "relation db.intermediate.int_sykmeldinger: not a dbt source() of this model: "
                "a staging model reads its raw table through source()",
            )
        ],
    ),
    (
        "no relation",
        "select 1 as en",
        [
            at(1, "FROM: reads no relation: select from the dbt source()"),
            at(1, "column en: literal-only column: staging adds no values: add constants in an intermediate model"),
        ],
    ),
    (
        "not a column of the source",
        sql(columns=("fnrx as fodselsnummer", *DEFAULT[1:])),
        [
            at(
                3,
                "source column FNR: missing from the output: select it (renamed or cast), "
                "or declare it in the model's meta.dropped_columns with a reason",
            ),
            at(7, "column fodselsnummer: not a column of the relation it selects from: select a source column"),
        ],
    ),
    (
        "parse into a text",
        sql(columns=(*DEFAULT[:3], "strptime(tom, '%d.%m.%Y')::varchar as til_og_med")),
        [at(10, "column til_og_med: more than one cast: cast the source column once, to its final type")],
    ),
    (
        "parse without a declared format",
        sql(columns=(*DEFAULT[:3], "strptime(tom, current_setting('x')) as til_og_med")),
        [at(10, f"column til_og_med: {NOT_A_CAST}")],
    ),
    (
        "unparsable",
        "select\n    cast(fnr as) as fodselsnummer\nfrom t",
        [
            at(
                1,
                "SQL: can't be parsed as duckdb SQL: Expected TYPE after CAST at line 2, column 15 "
                "of the compiled SQL: fix the SQL",
            )
        ],
    ),
]


@pytest.mark.parametrize(("code", "expected"), [pytest.param(code, lines, id=name) for name, code, lines in BAD])
def test_each_forbidden_construct_prints_its_exact_line(code: str, expected: list[str]) -> None:
    assert lines(code)[0] == expected


# the same constructs, in the other dialects the project builds on
@pytest.mark.parametrize("dialect", ["postgres", "bigquery"])
@pytest.mark.parametrize(
    ("name", "code", "expected"),
    [case for case in BAD if case[0] in {"join", "where", "group by", "window", "distinct", "union", "two casts"}],
)
def test_forbidden_constructs_in_other_dialects(dialect: str, name: str, code: str, expected: list[str]) -> None:
    if dialect == "bigquery":
        code = code.replace('"', "`")
        expected = [line.replace(" as varchar", " as string") for line in expected]
        code = code.replace(" as varchar", " as string")
    assert lines(code, dialect=dialect, relation=RELATION.replace('"', "`") if dialect == "bigquery" else RELATION)[
        0
    ] == [line.replace("duckdb", dialect) for line in expected]
