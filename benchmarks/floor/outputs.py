"""The floor's second half: the three published tables, from the histories, with their checks."""

from __future__ import annotations

import time

from floor.common import FAR, PUBLISHED, Engine, Settings, literal, same, working_days
from floor.suppression import suppress


def outputs(engine: Engine, settings: Settings) -> None:
    """The person-level table, the statistic and the open table, in one pass over what they need."""
    s = engine.schema
    kodeverk, historikk = s("kodeverk"), s("historikk")
    ipad, opad = settings.pads()
    for kind in PUBLISHED:
        engine.execute(f"create schema if not exists {s(settings.relation(kind)[0])}")

    # ---- the statistic's inputs: quarters, calendar, employers
    quarters = settings.quarters()
    quarter_values = ", ".join(f"('{name}', date '{first}', date '{last}')" for name, first, last in quarters)
    period_start, period_end = quarters[0][1], quarters[-1][2]
    setup = engine.temp(
        "kvartaler",
        "select * from (values " + quarter_values + ") as kvartaler (kvartal, kvartal_start, kvartal_slutt)",
    )
    if engine.name == "duckdb":
        setup += engine.temp(
            "kalender",
            "select dato, virkedag, sum(virkedag) over (order by dato) as hittil from ("
            "select cast(d as date) as dato, case when isodow(d) <= 5 then 1 else 0 end as virkedag "
            f"from generate_series(date '{period_start}', date '{period_end}', interval 1 day) as days (d)) as dager",
        )
    current = f"gyldig_til = {FAR} and er_slettet = 'False'"
    setup += engine.temp(
        "virksomheter",
        "select v.organisasjonsnummer, n.naering_hovedomraade, f.fylkesnummer "
        f"from {historikk}.hist_enhetsregisteret__virksomheter as v "
        f"left join {kodeverk}.naeringshovedomraader as n "
        "on substr(v.naeringskode, 1, 2) between n.naering_fra and n.naering_til "
        f"left join {kodeverk}.fylker as f on substr(v.kommunenummer, 1, 2) = f.fylkesnummer "
        f"where v.gyldig_til = {FAR} and v.er_slettet = 'False'",
    )
    engine.step("employers", setup)
    engine.check(
        "employer checks",
        "select count(*) - count(distinct organisasjonsnummer), count(*) filter (where organisasjonsnummer is null), "
        "count(*) filter (where naering_hovedomraade is null), count(*) filter (where fylkesnummer is null) "
        "from virksomheter",
        ["duplicate", "organisasjonsnummer null", "naering_hovedomraade null", "fylkesnummer null"],
    )

    # current relationships that overlap the period, with their employer's cell (joined once per relationship)
    relationships = f"""
        select
            a.arbeidsforhold_id, a.fodselsnummer, a.organisasjonsnummer, a.stillingsprosent,
            a.fra_og_med_dato, a.til_og_med_dato,
            virksomheter.naering_hovedomraade, virksomheter.fylkesnummer{{pseudonym}}
        from {historikk}.hist_aareg__arbeidsforhold as a
        left join virksomheter on a.organisasjonsnummer = virksomheter.organisasjonsnummer
        where a.{current.replace(" and ", " and a.")}
            and a.fra_og_med_dato <= date '{period_end}'
            and (a.til_og_med_dato is null or a.til_og_med_dato >= date '{period_start}')
    """

    # ---- lost working days per relationship and quarter: certificates matched to relationships first
    days, joins = working_days(engine, "par.fra", "par.til", "dag")
    lost = engine.temp(
        "tapte",
        f"""
        with
        arbeidsforhold as ({relationships.replace("{pseudonym}", "")}),
        sykmeldinger as (
            select fodselsnummer, organisasjonsnummer, sykmeldingsgrad, fra_og_med_dato, til_og_med_dato
            from {historikk}.hist_sykmelding__sykmeldinger
            where {current} and fra_og_med_dato <= date '{period_end}' and til_og_med_dato >= date '{period_start}'
        ),
        sykmeldt as (
            select
                a.arbeidsforhold_id, a.naering_hovedomraade, a.fylkesnummer,
                a.stillingsprosent * s.sykmeldingsgrad as vekt,
                greatest(s.fra_og_med_dato, a.fra_og_med_dato) as fra,
                least(s.til_og_med_dato, coalesce(a.til_og_med_dato, s.til_og_med_dato)) as til
            from sykmeldinger as s
            inner join arbeidsforhold as a
                on s.fodselsnummer = a.fodselsnummer
                and s.organisasjonsnummer = a.organisasjonsnummer
                and s.fra_og_med_dato <= coalesce(a.til_og_med_dato, s.til_og_med_dato)
                and s.til_og_med_dato >= a.fra_og_med_dato
        ),
        par as (
            select
                sykmeldt.arbeidsforhold_id, sykmeldt.naering_hovedomraade, sykmeldt.fylkesnummer, sykmeldt.vekt,
                kvartaler.kvartal,
                greatest(sykmeldt.fra, kvartaler.kvartal_start) as fra,
                least(sykmeldt.til, kvartaler.kvartal_slutt) as til
            from sykmeldt
            inner join kvartaler
                on greatest(sykmeldt.fra, kvartaler.kvartal_start) <= least(sykmeldt.til, kvartaler.kvartal_slutt)
        )
        select
            par.arbeidsforhold_id,
            par.kvartal,
            min(par.naering_hovedomraade) as naering_hovedomraade,
            min(par.fylkesnummer) as fylkesnummer,
            count(*) as antall_sykmeldinger,
            cast(sum({days} * par.vekt) / 10000 as numeric(28, 6)) as tapte_dagsverk
        from par
        {" ".join(joins)}
        group by par.arbeidsforhold_id, par.kvartal
        """,
    )
    engine.step("lost days", lost)

    # ---- the person-level table: relationships cut into quarters, pseudonym once per relationship
    person_schema, person_name = settings.relation("person")
    days, joins = working_days(engine, "af.periode_start", "af.periode_slutt", "dag")
    spread = """
        with
        arbeidsforhold as ({relationships}),
        af as (
            select
                arbeidsforhold.*,
                kvartaler.kvartal,
                greatest(arbeidsforhold.fra_og_med_dato, kvartaler.kvartal_start) as periode_start,
                least(coalesce(arbeidsforhold.til_og_med_dato, kvartaler.kvartal_slutt), kvartaler.kvartal_slutt)
                    as periode_slutt
            from arbeidsforhold
            inner join kvartaler
                on greatest(arbeidsforhold.fra_og_med_dato, kvartaler.kvartal_start)
                <= least(coalesce(arbeidsforhold.til_og_med_dato, kvartaler.kvartal_slutt), kvartaler.kvartal_slutt)
        )
    """
    agreed = f"cast({days} * af.stillingsprosent / 100 as numeric(28, 6))"
    person = spread.replace(
        "{relationships}",
        relationships.replace("{pseudonym}", f", {engine.hmac('a.fodselsnummer', ipad, opad)} as person_pseudonym"),
    )
    engine.step(
        "person table",
        [
            f"""
            create table {s(person_schema)}.{person_name} (
                arbeidsforhold_id varchar not null, person_pseudonym varchar, organisasjonsnummer varchar,
                kvartal varchar not null, naering_hovedomraade varchar, fylkesnummer varchar,
                stillingsprosent numeric(28, 6), avtalte_dagsverk numeric(28, 6), tapte_dagsverk numeric(28, 6),
                antall_sykmeldinger bigint
            )""",
            f"""
            insert into {s(person_schema)}.{person_name}
            {person}
            select
                af.arbeidsforhold_id, af.person_pseudonym, af.organisasjonsnummer, af.kvartal,
                af.naering_hovedomraade, af.fylkesnummer,
                af.stillingsprosent, {agreed},
                coalesce(tapte.tapte_dagsverk, 0), coalesce(tapte.antall_sykmeldinger, 0)
            from af
            {" ".join(joins)}
            left join tapte on af.arbeidsforhold_id = tapte.arbeidsforhold_id and af.kvartal = tapte.kvartal
            """,
        ],
    )
    engine.check(
        "person checks",
        "select count(*) from (select arbeidsforhold_id, kvartal "
        f"from {s(person_schema)}.{person_name} group by arbeidsforhold_id, kvartal having count(*) > 1) as d",
        ["duplicate (arbeidsforhold_id, kvartal)"],
    )

    # ---- the statistic: persons counted on the national id, sums of what the person table holds
    stat_schema, stat_name = settings.relation("statistikk")
    cell = "kvartal, naering_hovedomraade, fylkesnummer"
    statistic = (
        spread.replace("{relationships}", relationships.replace("{pseudonym}", ""))
        + f"""
        ,
        per_celle as (
            select
                af.kvartal, af.naering_hovedomraade, af.fylkesnummer,
                count(distinct af.fodselsnummer) as antall_personer,
                sum({agreed}) as avtalte_dagsverk
            from af
            {" ".join(joins)}
            group by af.kvartal, af.naering_hovedomraade, af.fylkesnummer
        ),
        tapt_per_celle as (
            select {cell}, sum(tapte_dagsverk) as tapte_dagsverk
            from tapte
            group by {cell}
        ),
        celler as (
            select
                per_celle.kvartal, per_celle.naering_hovedomraade, per_celle.fylkesnummer,
                per_celle.antall_personer,
                cast(per_celle.avtalte_dagsverk as numeric(28, 6)) as avtalte_dagsverk,
                cast(coalesce(tapt_per_celle.tapte_dagsverk, 0) as numeric(28, 6)) as tapte_dagsverk
            from per_celle
            left join tapt_per_celle
                on per_celle.kvartal = tapt_per_celle.kvartal
                and {same("per_celle", "tapt_per_celle", "naering_hovedomraade")}
                and {same("per_celle", "tapt_per_celle", "fylkesnummer")}
        )
    """
    )
    engine.step(
        "statistic",
        [
            f"""
            create table {s(stat_schema)}.{stat_name} (
                kvartal varchar not null, naering_hovedomraade varchar, fylkesnummer varchar,
                antall_personer bigint, avtalte_dagsverk numeric(28, 6), tapte_dagsverk numeric(28, 6),
                sykefravaersprosent numeric(28, 6)
            )""",
            f"""
            insert into {s(stat_schema)}.{stat_name}
            {statistic}
            select kvartal, naering_hovedomraade, fylkesnummer, antall_personer, avtalte_dagsverk, tapte_dagsverk,
                cast(round(100 * tapte_dagsverk / nullif(avtalte_dagsverk, 0), 2) as numeric(28, 6))
            from celler
            """,
        ],
    )
    grain = "kvartal, naering_hovedomraade, fylkesnummer"
    engine.check(
        "statistic checks",
        f"select count(*) - count(distinct ({grain})), count(*) filter (where kvartal is null) "
        f"from {s(stat_schema)}.{stat_name}",
        ["duplicate cell", "kvartal null"],
    )

    # ---- the open table: small cells suppressed (Python, on the cells)
    open_schema, open_name = settings.relation("utdata")
    cells = engine.step(
        "open table",
        [f"select kvartal, naering_hovedomraade, fylkesnummer, antall_personer from {s(stat_schema)}.{stat_name}"],
    )
    started = time.perf_counter()
    codes = suppress(
        [((k, n, f), count) for k, n, f, count in cells],
        margins=[(0, 1), (0, 2)],
        threshold=settings.threshold,
    )
    engine.timings["open table"] += time.perf_counter() - started
    flagged = [(cell, code) for cell, code in codes.items() if code]
    flags = (
        "select * from (values "
        + ", ".join(f"({literal(k)}, {literal(n)}, {literal(f)}, '{code}')" for (k, n, f), code in flagged)
        + ") as flags (kvartal, naering_hovedomraade, fylkesnummer, prikket)"
        if flagged
        else "select cast(null as varchar) as kvartal, cast(null as varchar) as naering_hovedomraade, "
        "cast(null as varchar) as fylkesnummer, cast(null as varchar) as prikket where 1 = 0"
    )
    hidden = "flags.prikket is not null"
    engine.step(
        "open table",
        [
            f"""
            create table {s(open_schema)}.{open_name} (
                kvartal varchar not null, naering_hovedomraade varchar, fylkesnummer varchar,
                antall_personer bigint, avtalte_dagsverk numeric(28, 6), tapte_dagsverk numeric(28, 6),
                sykefravaersprosent numeric(28, 6), prikket varchar
            )""",
            f"""
            insert into {s(open_schema)}.{open_name}
            select c.kvartal, c.naering_hovedomraade, c.fylkesnummer,
                case when {hidden} then null else c.antall_personer end,
                case when {hidden} then null else c.avtalte_dagsverk end,
                case when {hidden} then null else c.tapte_dagsverk end,
                case when {hidden} then null else c.sykefravaersprosent end,
                flags.prikket
            from {s(stat_schema)}.{stat_name} as c
            left join ({flags}) as flags
                on c.kvartal = flags.kvartal
                and {same("c", "flags", "naering_hovedomraade")}
                and {same("c", "flags", "fylkesnummer")}
            """,
        ],
    )
    engine.check(
        "open table checks",
        f"select count(*) - count(distinct ({grain})), "
        "count(*) filter (where prikket not in ('PRIMAER', 'SEKUNDAER')) "
        f"from {s(open_schema)}.{open_name}",
        ["duplicate cell", "prikket value"],
    )
