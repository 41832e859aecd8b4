"""The staging rule, applied to compiled SQL: one bad model per forbidden construct, each with the exact line the
check prints; good models in every style pass. Table-driven over the pure analysis (DuckDB, PostgreSQL and
BigQuery dialects), plus end-to-end `dataprodukt check` runs on a project copy with a planted bad model."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

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


def sql(columns: tuple[str, ...] = DEFAULT, tail: str = "", relation: str = RELATION, select: str = "select") -> str:
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
    types: dict[str, str] | None = None,
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
        **({"types": types} if types else {}),
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
    (
        "where",
        sql(tail="where fnr is not null"),
        [at(12, "WHERE: staging keeps every row: filter in an intermediate model")],
    ),
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
    (
        "order by",
        sql(tail="order by fnr"),
        [at(12, "ORDER BY: staging output has no order: sort where the data is used")],
    ),
    ("limit", sql(tail="limit 10"), [at(12, "LIMIT: staging keeps every row: remove the limit")]),
    (
        "literal-only column",
        sql(columns=(*DEFAULT[:3], "'x' as til_og_med")),
        [
            MISSING_TOM,
            at(
                10,
                "column til_og_med: literal-only column: staging adds no values: "
                "add constants in an intermediate model",
            ),
        ],
    ),
    (
        "derived value",
        sql(columns=(*DEFAULT[:3], "upper(tom) as til_og_med")),
        [at(10, f"column til_og_med: {NOT_A_CAST}")],
    ),
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
            at(
                7,
                "column fodselsnummer: not a column of the relation it selects from "
                "(a source has the columns its YAML declares)",
            ),
        ],
    ),
    (
        "unnamed expression",
        sql(columns=(*DEFAULT[:3], "upper(tom)")),
        [at(10, f"column UPPER(tom): {NOT_A_CAST}")],
    ),
    (
        "the line that names the column, not the first that mentions it",
        sql(columns=("fnr", "grad", "cast(fom as date) as tom", "upper(tom) as fom")),
        [at(10, f"column fom: {NOT_A_CAST}")],
    ),
    (
        "star replace",
        f"select * replace (upper(tom) as tom)\nfrom {RELATION}",
        [at(1, f"column tom: {NOT_A_CAST}")],
    ),
    (
        "star exclude",
        f"select * exclude (tom)\nfrom {RELATION}",
        [
            at(
                2,
                "source column TOM: missing from the output: select it (renamed or cast), "
                "or declare it in the model's meta.dropped_columns with a reason",
            )
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
                2,
                "SQL: can't be parsed as duckdb SQL: Expected TYPE after CAST at line 2, column 16 "
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


BQ_RELATION = "`prosjekt`.`raw`.`tabell`"

# good models: (id, dialect, relation as compiled, SQL)
GOOD = [
    ("import CTE", "duckdb", RELATION, sql()),
    ("rename only", "duckdb", RELATION, f"select fnr as fodselsnummer, grad, fom as fra_og_med, tom\nfrom {RELATION}"),
    (
        "cast only",
        "postgres",
        RELATION,
        f"select cast(fnr as text) as fnr, grad::integer as grad, cast(fom as date), tom::date\nfrom {RELATION}",
    ),
    ("select star", "duckdb", RELATION, f"select * from {RELATION}"),
    ("star rename", "duckdb", RELATION, f"select * rename (fnr as fodselsnummer) from {RELATION}"),
    ("qualified star", "postgres", RELATION, f"select source.* from {RELATION} as source"),
    (
        "duckdb cast and strptime",
        "duckdb",
        RELATION,
        sql(
            columns=(
                "fnr",
                "cast(grad as integer) as grad",
                "strptime(fom, '%d.%m.%Y')::date as fra_og_med",
                "strptime(tom, '%d.%m.%Y %H:%M') as til_og_med",
            )
        ),
    ),
    (
        "postgres to_date and to_timestamp",
        "postgres",
        RELATION,
        sql(
            columns=(
                "fnr",
                "grad::numeric(5, 2) as grad",
                "to_date(fom, 'DD.MM.YYYY') as fra_og_med",
                "to_timestamp(tom, 'DD.MM.YYYY HH24:MI') as til_og_med",
            )
        ),
    ),
    (
        "bigquery cast and parse_date",
        "bigquery",
        BQ_RELATION,
        sql(
            relation=BQ_RELATION,
            columns=(
                "fnr as fodselsnummer",
                "cast(grad as int64) as grad",
                "parse_date('%d.%m.%Y', fom) as fra_og_med",
                "parse_timestamp('%d.%m.%Y %H:%M', tom) as til_og_med",
            ),
        ),
    ),
    (
        "bigquery rename from a backtick-quoted path",
        "bigquery",
        "`prosjekt.raw.tabell`",
        "select fnr as fodselsnummer, cast(grad as numeric) as grad, cast(fom as date) as fra_og_med, tom\n"
        "from `prosjekt.raw.tabell`",
    ),
]


@pytest.mark.parametrize(("dialect", "relation", "code"), [pytest.param(*case[1:], id=case[0]) for case in GOOD])
def test_good_models_pass(dialect: str, relation: str, code: str) -> None:
    assert lines(code, dialect=dialect, relation=relation) == ([], [])


def test_bigquery_forbidden_constructs_from_compiled_sql() -> None:
    code = (
        "with source as (\n    select * from `prosjekt`.`raw`.`tabell`\n),\nrenamed as (\n    select\n"
        "        fnr as fodselsnummer,\n        safe_cast(safe_cast(grad as string) as int64) as grad,\n"
        "        parse_date('%d.%m.%Y', fom) as fra_og_med,\n        tom\n    from source\n"
        "    qualify row_number() over (partition by fnr) = 1\n)\nselect * from renamed\n"
    )
    assert lines(code, dialect="bigquery", relation=BQ_RELATION)[0] == [
        at(
            7,
            "column grad: SAFE_CAST turns a value it can't cast into NULL without an error: write CAST(... AS STRING), "
            "so a bad value fails the build",
        ),
        at(11, "QUALIFY: staging keeps every row: deduplicate in an intermediate model"),
    ]


def test_the_nth_clause_is_reported_on_its_own_line() -> None:
    code = (
        f"with source as (\n    select * from {RELATION}\n    where fnr is not null\n),\n"
        "renamed as (\n    select * from source\n    where grad <> '0'\n)\nselect * from renamed\n"
    )
    assert lines(code)[0] == [
        at(3, "WHERE: staging keeps every row: filter in an intermediate model"),
        at(7, "WHERE: staging keeps every row: filter in an intermediate model"),
    ]


# --- casts that change values, and columns twice ------------------------------------------------------------
LENGTH = (
    "limits the length: PostgreSQL cuts longer text (char pads shorter), DuckDB ignores the limit: cast to text "
    "without a length (varchar, text, string) and test lengths with a data test"
)
FLOAT = (
    "keeps about 15 significant digits and rounds the rest without an error: cast to an exact numeric "
    "({{ dbt.type_numeric() }}) instead"
)
NARROWS = (
    "narrows the type: values are rounded, cut or refused: cast to a type that holds every value of the source "
    "(or keep the type)"
)
# one planted violation each: (id, dialect, relation, SQL, declared source types, the exact lines printed)
BAD_CASTS = [
    (
        "text cut to a length",
        "duckdb",
        RELATION,
        sql(columns=("cast(fnr as varchar(3)) as fodselsnummer", *DEFAULT[1:])),
        {},
        [at(7, f"column fodselsnummer: cast to VARCHAR(3) {LENGTH}")],
    ),
    (
        "text cut to a length, postgres",
        "postgres",
        RELATION,
        sql(columns=("fnr::varchar(3) as fodselsnummer", *DEFAULT[1:])),
        {},
        [at(7, f"column fodselsnummer: cast to VARCHAR(3) {LENGTH}")],
    ),
    (
        "fixed-length text",
        "postgres",
        RELATION,
        sql(columns=("cast(fnr as char(11)) as fodselsnummer", *DEFAULT[1:])),
        {},
        [at(7, f"column fodselsnummer: cast to CHAR(11) {LENGTH}")],
    ),
    (
        "bigquery string with a length",
        "bigquery",
        BQ_RELATION,
        sql(relation=BQ_RELATION, columns=("cast(fnr as string(3)) as fodselsnummer", *DEFAULT[1:])),
        {},
        [at(7, f"column fodselsnummer: cast to STRING(3) {LENGTH}")],
    ),
    (
        "try_cast",
        "duckdb",
        RELATION,
        sql(columns=(DEFAULT[0], "try_cast(grad as integer) as grad", *DEFAULT[2:])),
        {},
        [
            at(
                8,
                "column grad: TRY_CAST turns a value it can't cast into NULL without an error: write CAST(... AS INT), "
                "so a bad value fails the build",
            )
        ],
    ),
    (
        "bigquery safe_cast",
        "bigquery",
        BQ_RELATION,
        sql(relation=BQ_RELATION, columns=(DEFAULT[0], "safe_cast(grad as int64) as grad", *DEFAULT[2:])),
        {},
        [
            at(
                8,
                "column grad: SAFE_CAST turns a value it can't cast into NULL without an error: write "
                "CAST(... AS INT64), so a bad value fails the build",
            )
        ],
    ),
    (
        "text to a float",
        "duckdb",
        RELATION,
        sql(columns=(DEFAULT[0], "cast(grad as double) as grad", *DEFAULT[2:])),
        {},
        [at(8, f"column grad: cast to DOUBLE {FLOAT}")],
    ),
    (
        "float to integer",
        "duckdb",
        RELATION,
        sql(),
        {"GRAD": "double"},
        [at(8, f"column grad: cast from DOUBLE to INT {NARROWS}")],
    ),
    (
        "numeric narrowed",
        "postgres",
        RELATION,
        sql(columns=(DEFAULT[0], "cast(grad as numeric(10, 2)) as grad", *DEFAULT[2:])),
        {"GRAD": "numeric(10, 4)"},
        [at(8, f"column grad: cast from DECIMAL(10, 4) to DECIMAL(10, 2) {NARROWS}")],
    ),
    (
        "bigint to integer",
        "postgres",
        RELATION,
        sql(),
        {"GRAD": "bigint"},
        [at(8, f"column grad: cast from BIGINT to INT {NARROWS}")],
    ),
    (
        "timestamp to date",
        "duckdb",
        RELATION,
        sql(),
        {"FOM": "timestamp"},
        [at(9, f"column fra_og_med: cast from TIMESTAMP to DATE {NARROWS}")],
    ),
    (
        "a type off the allow-list",
        "duckdb",
        RELATION,
        sql(columns=(*DEFAULT[:3], "cast(tom as json) as til_og_med")),
        {},
        [
            at(
                10,
                "column til_og_med: cast to JSON is not on the staging allow-list of casts (docs/staging.md): keep the "
                "column as delivered and convert it in an intermediate model",
            )
        ],
    ),
    (
        "the same output column twice",
        "duckdb",
        RELATION,
        sql(columns=(*DEFAULT, "cast(fom as date) as fra_og_med")),
        {},
        [
            at(
                11,
                "column fra_og_med: appears twice in the output: give every output column its own name "
                "(staging selects each source column once)",
            )
        ],
    ),
    (
        "a source column twice",
        "postgres",
        RELATION,
        sql(columns=(*DEFAULT, "tom as tom_tekst")),
        {},
        [
            at(
                11,
                "source column TOM: selected 2 times (as til_og_med, tom_tekst): staging gives each source column "
                "one name and one type: make copies in an intermediate model",
            )
        ],
    ),
]


@pytest.mark.parametrize(
    ("dialect", "relation", "code", "types", "expected"), [pytest.param(*case[1:], id=case[0]) for case in BAD_CASTS]
)
def test_each_value_changing_cast_prints_its_exact_line(
    dialect: str, relation: str, code: str, types: dict[str, str], expected: list[str]
) -> None:
    assert lines(code, dialect=dialect, relation=relation, types=types)[0] == expected


# allowed: text to a type the engine refuses bad text for, and widening a declared type
GOOD_CASTS = [
    (
        "text to every allowed type",
        "duckdb",
        {},
        ("cast(fnr as varchar)", "grad::bigint", "fom::timestamp", "tom::uuid"),
    ),
    ("text to exact numerics", "postgres", {}, ("fnr::text", "grad::numeric", "fom::time", "cast(tom as boolean)")),
    ("bigquery text casts", "bigquery", {}, ("cast(fnr as string)", "cast(grad as numeric)", "fom", "tom")),
    ("integer widened", "postgres", {"GRAD": "integer"}, ("fnr", "grad::bigint", "fom", "tom::text")),
    ("decimal widened", "duckdb", {"GRAD": "decimal(10, 2)"}, ("fnr", "cast(grad as decimal(12, 4))", "fom", "tom")),
    ("date to timestamp", "postgres", {"FOM": "date"}, ("fnr", "grad", "fom::timestamp", "tom")),
    ("float kept a float", "duckdb", {"GRAD": "real"}, ("fnr", "cast(grad as double)", "fom", "tom")),
]


@pytest.mark.parametrize(("dialect", "types", "columns"), [pytest.param(*case[1:], id=case[0]) for case in GOOD_CASTS])
def test_casts_that_keep_every_value_pass(dialect: str, types: dict[str, str], columns: tuple[str, ...]) -> None:
    relation = BQ_RELATION if dialect == "bigquery" else RELATION
    named = tuple(f"{column} as {name}" for column, name in zip(columns, ("fnr", "grad", "fom", "tom"), strict=True))
    assert lines(sql(columns=named, relation=relation), dialect=dialect, relation=relation, types=types) == ([], [])


YAML = "models/staging/kilde/_kilde__models.yml"


def test_exception_with_a_reason_is_accepted_and_listed() -> None:
    code = sql(columns=(*DEFAULT[:3], "nullif(trim(tom), '') as til_og_med"))
    assert lines(code, exceptions={"til_og_med": "Kilden leverer tom tekst for ukjent sluttdato."}) == (
        [],
        [
            "staging: stg_kilde__tabell: column til_og_med: exception accepted: "
            "Kilden leverer tom tekst for ukjent sluttdato."
        ],
    )


def test_exception_without_a_reason_or_without_need_is_a_violation() -> None:
    code = sql(columns=(*DEFAULT[:3], "nullif(tom, '') as til_og_med"))
    model_lines = lines(code, exceptions={"til_og_med": " ", "fodselsnummer": "Trenger ikke unntak."})[0]
    assert model_lines == [
        f"{NAME} ({PATH}:1): column fodselsnummer: meta.staging_exception is declared but the column is a rename "
        "or one cast: remove the exception",
        f"{NAME} ({PATH}:1): column til_og_med: meta.staging_exception needs a reason (a sentence saying why)",
        at(10, f"column til_og_med: {NOT_A_CAST}"),
    ]


def test_dropped_columns_need_a_reason_and_must_exist() -> None:
    code = sql(columns=DEFAULT[:3])
    assert lines(code, dropped={"TOM": "Alltid tom i kilden."}) == (
        [],
        ["staging: stg_kilde__tabell: source column TOM dropped: Alltid tom i kilden."],
    )
    assert lines(code, dropped={"TOM": "", "GAMMEL": "Fjernet."})[0] == [
        f"{NAME} ({PATH}:1): meta.dropped_columns GAMMEL: not a column of source kilde.tabell: remove it from the list",
        f"{NAME} ({PATH}:1): meta.dropped_columns TOM: needs a reason",
        MISSING_TOM,
    ]
    assert lines(sql(), dropped={"TOM": "Fjernes."})[0] == [
        f"{NAME} ({PATH}:1): meta.dropped_columns TOM: declared dropped but the column is selected: "
        "remove it from the list"
    ]


# --- end to end: `dataprodukt check` on a project copy ------------------------------------------------------
STG = "models/staging/sykmelding/stg_sykmelding__sykmeldinger.sql"


def plant_filter(project: Path) -> int:
    """Add a WHERE to the example's sick-leave staging model; return its line in the file."""
    path = project / STG
    text = path.read_text(encoding="utf-8").replace("    from source\n", "    from source\n    where fnr is not null\n")
    path.write_text(text, encoding="utf-8")
    return text.splitlines().index("    where fnr is not null") + 1


def plant_exception(project: Path) -> None:
    """Trim the company name in the example, declared as an exception with its reason."""
    sql_path = project / "models/staging/enhetsregisteret/stg_enhetsregisteret__virksomheter.sql"
    sql_path.write_text(
        sql_path.read_text(encoding="utf-8").replace("navn as virksomhetsnavn", "trim(navn) as virksomhetsnavn"),
        encoding="utf-8",
    )
    yaml_path = project / "models/staging/enhetsregisteret/_enhetsregisteret__models.yml"
    yaml_path.write_text(
        yaml_path.read_text(encoding="utf-8").replace(
            '        description: "Virksomhetens navn."\n',
            '        description: "Virksomhetens navn."\n'
            '        meta:\n          staging_exception: "Kilden fyller navnet med mellomrom."\n',
        ),
        encoding="utf-8",
    )


WHERE_RULE = "WHERE: staging keeps every row: filter in an intermediate model"
ACCEPTED = (
    "note: staging: stg_enhetsregisteret__virksomheter: column virksomhetsnavn: exception accepted: "
    "Kilden fyller navnet med mellomrom."
)


def test_check_passes_on_the_example(project_copy: Path) -> None:
    result = run_cli(project_copy, "check")
    assert "check staging: ok" in result.stdout
    assert result.stdout.rstrip().endswith("check(s) passed")


def test_check_fails_on_a_planted_filter_and_lists_exceptions_duckdb(project_copy: Path) -> None:
    line = plant_filter(project_copy)
    plant_exception(project_copy)
    result = run_cli(project_copy, "check", "--only", "staging", check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"  stg_sykmelding__sykmeldinger ({STG}:{line}): {WHERE_RULE}" in result.stdout.splitlines()
    assert "check staging: 1 violation(s)" in result.stdout
    assert ACCEPTED in result.stdout.splitlines()


@pytest.mark.postgres
def test_check_fails_on_a_planted_filter_postgres(project_copy: Path, pg_env: dict[str, str]) -> None:
    line = plant_filter(project_copy)
    plant_exception(project_copy)
    result = run_cli(
        project_copy, "check", "--target", "postgres", "--only", "staging", env=clean_env(**pg_env), check=False
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"  stg_sykmelding__sykmeldinger ({STG}:{line}): {WHERE_RULE}" in result.stdout.splitlines()
    assert ACCEPTED in result.stdout.splitlines()


def test_unparsable_and_uncompilable_models_are_named_without_a_traceback(project_copy: Path) -> None:
    path = project_copy / STG
    path.write_text(path.read_text(encoding="utf-8").replace("cast(sykm_grad as", "cast(sykm_grad as as"), "utf-8")
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if "as as" in text)
    result = run_cli(project_copy, "check", "--only", "staging", check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    printed = [text for text in result.stdout.splitlines() if "can't be parsed" in text]
    assert printed and printed[0].startswith(
        f"  stg_sykmelding__sykmeldinger ({STG}:{line}): SQL: can't be parsed as duckdb"
    )
    assert "Traceback" not in result.stdout + result.stderr

    path.write_text("select * from {{ source('sykmelding', 'finnes_ikke') }}\n", encoding="utf-8")
    result = run_cli(project_copy, "check", "--only", "staging", check=False)
    assert result.returncode == 2
    assert "stg_sykmelding__sykmeldinger" in result.stderr and "finnes_ikke" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_a_source_without_yaml_columns_is_checked_against_the_warehouse(project_copy: Path, tmp_path: Path) -> None:
    from dataprodukt.core.warehouse import DuckDBWarehouse
    from tests.test_scaffold import load_raw

    load_raw(DuckDBWarehouse(project_copy / "build" / "sykefravaer.duckdb"), tmp_path)
    folder = project_copy / "models/staging/enhetsregisteret"
    sources = folder / "_enhetsregisteret__sources.yml"
    sources.write_text(sources.read_text(encoding="utf-8").split("        columns:")[0], encoding="utf-8")
    model = folder / "stg_enhetsregisteret__virksomheter.sql"
    model.write_text(
        model.read_text(encoding="utf-8").replace(",\n        kommunenr as kommunenummer", ""), encoding="utf-8"
    )
    result = run_cli(project_copy, "check", "--only", "staging", check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    assert (
        "  stg_enhetsregisteret__virksomheter (models/staging/enhetsregisteret/stg_enhetsregisteret__virksomheter.sql"
        ":5): source column KOMMUNENR: missing from the output: select it (renamed or cast), or declare it in the "
        "model's meta.dropped_columns with a reason"
    ) in result.stdout.splitlines()


# --- the example's models as dbt-bigquery compiles them ----------------------------------------------------------
# `dbt compile` on BigQuery needs credentials; dbt-bigquery's type macros render INT64 / numeric / timestamp and a
# source as `project`.`dataset`.`table`, so the committed models are rendered the same way here.
BQ_TYPES = {"type_int": "INT64", "type_numeric": "numeric", "type_timestamp": "timestamp"}


def bigquery_compiled(raw_code: str) -> str:
    import jinja2

    def source(name: str, table: str) -> str:
        return f"`prosjekt`.`raw`.`{table}`"

    dbt = SimpleNamespace(**{name: (lambda value=value: value) for name, value in BQ_TYPES.items()})
    return jinja2.Environment().from_string(raw_code).render(source=source, dbt=dbt)


def committed_staging_models() -> list[tuple[str, str, str, tuple[str, ...], str]]:
    import yaml

    from tests.conftest import EXAMPLE

    models = []
    for path in sorted((EXAMPLE / "models/staging").glob("*/stg_*.sql")):
        source = path.parent.name
        sources = yaml.safe_load((path.parent / f"_{source}__sources.yml").read_text(encoding="utf-8"))
        (table,) = sources["sources"][0]["tables"]
        columns = tuple(column["name"] for column in table["columns"])
        models.append(
            (path.stem, str(path.relative_to(EXAMPLE)), path.read_text(encoding="utf-8"), columns, table["name"])
        )
    return models


@pytest.mark.parametrize(("name", "path", "raw", "columns", "table"), committed_staging_models())
def test_the_example_models_pass_as_bigquery_compiles_them(
    name: str, path: str, raw: str, columns: tuple[str, ...], table: str
) -> None:
    compiled = bigquery_compiled(raw)
    assert "INT64" in compiled or "numeric" in compiled or name.endswith("virksomheter")
    model = StagingModel(name, path, raw, compiled, "bigquery", {f"`prosjekt`.`raw`.`{table}`": (table, columns)})
    assert check_model(model) == ([], [])

    planted = raw.replace("    from source\n", "    from source\n    where true\n")
    line = planted.splitlines().index("    where true") + 1
    model = StagingModel(
        name, path, planted, bigquery_compiled(planted), "bigquery", {f"`prosjekt`.`raw`.`{table}`": (table, columns)}
    )
    assert [str(violation) for violation in check_model(model)[0]] == [
        f"{name} ({path}:{line}): WHERE: staging keeps every row: filter in an intermediate model"
    ]
