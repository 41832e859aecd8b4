"""The floor's first half: code lists, the guard, the three histories and every check on them."""

from __future__ import annotations

import csv

from floor.common import (
    FAR,
    SEED_RULES,
    SEEDS,
    SOURCE_JOINS,
    SOURCE_RULES,
    SOURCES,
    CheckFailed,
    Engine,
    Settings,
    literal,
)


def seeds(engine: Engine, settings: Settings) -> None:
    """The code lists (text columns, as the project's seeds declare them), with the seeds' tests in one pass each."""
    kodeverk = engine.schema("kodeverk")
    statements = []
    for seed, columns in SEEDS.items():
        statements.append(f"create table {kodeverk}.{seed} ({', '.join(f'{c} varchar' for c in columns)})")
        with (settings.seeds / f"{seed}.csv").open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        values = ", ".join("(" + ", ".join(literal(row[c]) for c in columns) + ")" for row in rows)
        statements.append(f"insert into {kodeverk}.{seed} values {values}")
    engine.step("seeds", statements)
    for seed, (unique, not_null) in SEED_RULES.items():
        engine.check(
            "seed checks",
            f"select count(*) - count(distinct {', '.join(unique)}), "
            + ", ".join(f"count(*) filter (where {c} is null)" for c in not_null)
            + f" from {kodeverk}.{seed}",
            ["duplicate", *[f"{c} null" for c in not_null]],
        )


def histories(engine: Engine) -> None:
    """Per source: the guard (key unique and present: the staging keys' proof), the column checks in one pass, the
    history's initial build (what dbt's snapshot writes), its checks; then the row count log and its check."""
    raw, kodeverk, historikk = "raw", engine.schema("kodeverk"), engine.schema("historikk")
    log = f"{historikk}.historikk_radtall_logg"
    engine.execute(
        f"create table {log} (historikk varchar, rader bigint, logget_tidspunkt timestamp, invocation_id varchar)"
    )
    for table, (history, key, columns) in SOURCES.items():
        raw_key = dict(columns)[key]
        offenders = engine.step(
            f"guard {table}",
            [
                f"select {raw_key}, count(*) from {raw}.{table} group by {raw_key} "
                f"having count(*) > 1 or {raw_key} is null limit 10"
            ],
        )
        if offenders:
            raise CheckFailed(f"guard {table}: {offenders}")
        engine.check(
            f"source checks {table}",
            "select "
            + ", ".join(f"count(*) filter (where not ({rule}))" for rule in SOURCE_RULES[table])
            + f" from {raw}.{table} as kilde "
            + SOURCE_JOINS.get(table, "").format(kodeverk=kodeverk),
            SOURCE_RULES[table],
        )
        engine.step(
            f"history {table}",
            [
                f"create table {historikk}.{history} as "
                "select "
                + ", ".join(f"{sql} as {name}" for name, sql in columns)
                + f", md5({raw_key} || '|' || cast(moment.t as varchar)) as historikk_id, "
                "moment.t as oppdatert_tidspunkt, moment.t as gyldig_fra, "
                f"{FAR} as gyldig_til, 'False' as er_slettet "
                f"from {raw}.{table} cross join (select {engine.clock()} as t) as moment"
            ],
        )
        if engine.name == "postgres":
            # what the history_indexes post-hook makes: the next run's lookups (not used by this build)
            engine.step(
                f"history {table}",
                [
                    f"create index on {historikk}.{history} ({key}, gyldig_til)",
                    f"create index on {historikk}.{history} (historikk_id)",
                    f"create index on {historikk}.{history} (gyldig_fra)",
                    f"analyze {historikk}.{history}",
                ],
            )
        check_history(engine, f"{historikk}.{history}", key, f"{raw}.{table}", raw_key)
    for history, _, _ in SOURCES.values():
        engine.check(
            "row count log",
            f"select count(*) from {log} where historikk = '{history}' "
            f"and rader > (select count(*) from {historikk}.{history})",
            ["a history has fewer rows than logged"],
        )
    engine.step(
        "row count log",
        [
            f"insert into {log} "
            + " union all ".join(
                f"select '{history}', count(*), {engine.clock()}, 'floor' from {historikk}.{history}"
                for history, _, _ in SOURCES.values()
            )
        ],
    )


def check_history(engine: Engine, history: str, key: str, source: str, source_key: str) -> None:
    """Every history integrity test of the project: one aggregate pass per key (one current row, real intervals);
    overlaps and a repeated gyldig_fra need two rows of a key, so only keys with more than one row are ordered;
    deletions recorded by one join of the current rows with the source's keys; deletion rows found through the
    keys of the deletion rows."""
    label = f"history checks {history.split('.')[-1]}"
    engine.check(
        label,
        f"""
        with
        per_noekkel as materialized (
            select
                {key} as noekkel,
                count(*) as rader,
                count(*) filter (where gyldig_til = {FAR}) as gjeldende,
                count(*) filter (where gyldig_fra is null or gyldig_til is null or not (gyldig_fra < gyldig_til))
                    as tomme_intervaller
            from {history}
            group by {key}
        ),
        flere as (
            select h.{key} as noekkel, h.gyldig_fra, h.gyldig_til,
                lead(h.gyldig_fra) over (partition by h.{key} order by h.gyldig_fra, h.gyldig_til) as neste_fra
            from {history} as h
            where h.{key} in (select noekkel from per_noekkel where rader > 1)
        )
        select
            (select count(*) from per_noekkel where gjeldende != 1),
            (select coalesce(sum(tomme_intervaller), 0) from per_noekkel),
            (select count(*) from flere where neste_fra < gyldig_til),
            (select count(*) from flere where neste_fra = gyldig_fra)
        """,
        ["keys without exactly one current row", "empty intervals", "overlaps", "repeated gyldig_fra"],
    )
    engine.check(
        label,
        f"""
        select
            count(*) filter (where kilde.noekkel is null and h.er_slettet = 'False'),
            count(*) filter (where kilde.noekkel is not null and h.er_slettet = 'True')
        from {history} as h
        left join (select {source_key} as noekkel from {source}) as kilde on h.{key} = kilde.noekkel
        where h.gyldig_til = {FAR}
        """,
        ["deletion not recorded", "re-insert not recorded"],
    )
    engine.check(
        label,
        f"""
        with
        slettinger as materialized (
            select {key} as noekkel, gyldig_fra from {history} where er_slettet = 'True'
        ),
        lukket as (
            select {key} as noekkel, gyldig_til from {history}
            where er_slettet = 'False' and {key} in (select noekkel from slettinger)
        )
        select count(*) from slettinger
        where not exists (
            select 1 from lukket
            where lukket.noekkel = slettinger.noekkel and lukket.gyldig_til = slettinger.gyldig_fra
        )
        """,
        ["deletion row closing no live version"],
    )
