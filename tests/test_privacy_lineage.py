"""Column lineage rules, table-driven, in each target's dialect (a small compiled manifest per case, no warehouse)."""

from __future__ import annotations

from typing import Any

import pytest

from dataprodukt.rules.column_origin import NOT_PERSONAL, PERSONAL, PSEUDONYMISED
from dataprodukt.rules.personal_data import trace

QUOTES = {"duckdb": '"', "postgres": '"', "bigquery": "`"}
# the pseudonymize macro's compiled form on each engine ({key}: the key table, as the macro names it)
PAD = {name: f"(select pads.{name} from {{key}} as pads)" for name in ("ipad", "opad")}
HMAC = {
    "duckdb": f"sha256(unhex({PAD['opad']}) || unhex(sha256(unhex({PAD['ipad']}) || "
    "encode(cast(fodselsnummer as varchar)))))",
    "postgres": f"encode(sha256(decode({PAD['opad']}, 'hex') || sha256(decode({PAD['ipad']}, 'hex') || "
    "convert_to(cast(fodselsnummer as text), 'UTF8'))), 'hex')",
    "bigquery": f"to_hex(sha256(concat(from_hex({PAD['opad']}), sha256(concat(from_hex({PAD['ipad']}), "
    "cast(cast(fodselsnummer as string) as bytes))))))",
}

# SQL of the last model ({stg}: persons, {kom}: municipalities), the column asked about, its expected class
CASES: list[tuple[str, str, str]] = [
    ("select fodselsnummer from {stg}", "fodselsnummer", PERSONAL),
    ("select p.fodselsnummer as id from {stg} as p join {kom} as k on p.kommune = k.kommune", "id", PERSONAL),
    (
        "select k.fylke from {stg} as p join {kom} as k on p.kommune = k.kommune where p.fodselsnummer > '0'",
        "fylke",
        NOT_PERSONAL,
    ),
    ("with a as (select * from {stg}), b as (select * from a) select * from b", "fodselsnummer", PERSONAL),
    ("with a as (select * from {stg}) select * from a", "navn", NOT_PERSONAL),
    (
        "select k.fylke, count(distinct p.fodselsnummer) as n from {stg} as p join {kom} as k on p.kommune = k.kommune "
        "group by k.fylke",
        "n",
        NOT_PERSONAL,
    ),
    ("select fodselsnummer, count(*) as n from {stg} group by 1", "n", PERSONAL),
    ("select fodselsnummer, count(*) as n from {stg} group by fodselsnummer", "n", PERSONAL),
    ("select count(*) as n, sum(length(fodselsnummer)) as s from {stg}", "s", NOT_PERSONAL),
    ("select max(fodselsnummer) as m from {stg}", "m", PERSONAL),
    ("select (select max(fodselsnummer) from {stg}) as x", "x", PERSONAL),
    ("select coalesce(navn, fodselsnummer) as y from {stg}", "y", PERSONAL),
    ("select case when fodselsnummer like '0%' then 'a' else 'b' end as y from {stg}", "y", PERSONAL),
    ("select row_number() over (partition by fodselsnummer order by navn) as r from {stg}", "r", NOT_PERSONAL),
    ("select fylke as id from {kom} union all select fodselsnummer from {stg}", "id", PERSONAL),
    ("select fylke as fodselsnummer from {kom}", "fodselsnummer", NOT_PERSONAL),
    ("select x.f from (select fodselsnummer as f from {stg}) as x", "f", PERSONAL),
    ("select {hmac} as pseudonym from {stg}", "pseudonym", PSEUDONYMISED),
    (
        "with p as (select {hmac} as pseudonym, kommune from {stg}) select kommune, count(distinct pseudonym) as n "
        "from p group by kommune",
        "n",
        NOT_PERSONAL,
    ),
    ("select {hmac} || fodselsnummer as lekker from {stg}", "lekker", PERSONAL),
    # the pads must come from the key table: the same shape over another table is no pseudonymisation
    ("select {hmac_elsewhere} as h from {stg}", "h", PERSONAL),
    ("select sha256(sha256(fodselsnummer)) as h from {stg}", "h", PERSONAL),
]


def relation(dialect: str, schema: str, name: str) -> str:
    quote = QUOTES[dialect]
    return ".".join(f"{quote}{part}{quote}" for part in ("db", schema, name))


def manifest(dialect: str, sql: str, columns: tuple[str, ...] = ()) -> dict[str, Any]:
    def model(name: str, code: str, parents: list[str], declared: tuple[str, ...] = ()) -> dict[str, Any]:
        return {
            "resource_type": "model",
            "name": name,
            "relation_name": relation(dialect, "s", name),
            "compiled_code": code,
            "depends_on": {"nodes": parents},
            "columns": {column: {"name": column, "meta": {}} for column in declared},
        }

    stg, kom = relation(dialect, "s", "stg_person"), relation(dialect, "s", "stg_kommune")
    return {
        "metadata": {"adapter_type": dialect, "project_name": "p"},
        "sources": {
            "source.p.raw.person": {
                "resource_type": "source",
                "source_name": "raw",
                "name": "person",
                "relation_name": relation(dialect, "raw", "person"),
                "columns": {
                    "FNR": {"name": "FNR", "meta": {"is_personal_data": PERSONAL}},
                    "NAVN": {"name": "NAVN", "meta": {}},
                    "KOMNR": {"name": "KOMNR", "meta": {}},
                },
            },
        },
        "nodes": {
            "model.p.stg_person": model(
                "stg_person",
                f"select fnr as fodselsnummer, navn, komnr as kommune from {relation(dialect, 'raw', 'person')}",
                ["source.p.raw.person"],
            ),
            "model.p.stg_kommune": model("stg_kommune", "select '0301' as kommune, '03' as fylke", []),
            "model.p.siste": model(
                "siste",
                sql.format(
                    stg=stg,
                    kom=kom,
                    hmac=HMAC[dialect].format(key=relation(dialect, "pseudonymisering", "nokkel")),
                    hmac_elsewhere=HMAC[dialect].format(key=relation(dialect, "pseudonymisering", "noe_annet")),
                ),
                ["model.p.stg_person", "model.p.stg_kommune"],
                columns,
            ),
        },
    }


@pytest.mark.parametrize("dialect", sorted(QUOTES))
@pytest.mark.parametrize(("sql", "column", "klass"), CASES)
def test_lineage_rule(dialect: str, sql: str, column: str, klass: str) -> None:
    lineage = trace(manifest(dialect, sql))
    assert lineage.problems == {}
    origin = lineage.columns["model.p.siste"][column]
    assert origin.klass == klass
    assert origin.upstream == (None if klass == NOT_PERSONAL else "raw.person.fnr")


def test_unreadable_sql_fails_closed() -> None:
    lineage = trace(manifest("duckdb", "select fodselsnummer frm {stg} ((", columns=("x",)))
    assert "model.p.siste" in lineage.problems
    assert lineage.columns["model.p.siste"]["x"].klass == PERSONAL


def test_declaration_above_lineage_wins_and_below_is_kept_for_the_check() -> None:
    data = manifest("postgres", "select fodselsnummer, navn from {stg}")
    data["nodes"]["model.p.siste"]["columns"] = {
        "navn": {"name": "navn", "meta": {"is_personal_data": PERSONAL}},
        "fodselsnummer": {"name": "fodselsnummer", "config": {"meta": {"is_personal_data": NOT_PERSONAL}}},
    }
    lineage = trace(data)
    assert lineage.columns["model.p.siste"]["navn"].upstream == "siste.navn"
    assert lineage.columns["model.p.siste"]["fodselsnummer"].klass == PERSONAL
    assert lineage.declared[("model.p.siste", "fodselsnummer")] == NOT_PERSONAL


def test_classify_refuses_a_manifest_without_compiled_sql() -> None:
    from dataprodukt.core.errors import UserError
    from dataprodukt.rules.personal_data import classify

    data = manifest("duckdb", "select fodselsnummer from {stg}")
    assert classify(data)[("model.p.siste", "fodselsnummer")] == (PERSONAL, "raw.person.fnr")
    del data["nodes"]["model.p.siste"]["compiled_code"]
    with pytest.raises(UserError, match=r"no compiled SQL for 1 model\(s\) \(siste\)"):
        classify(data)
