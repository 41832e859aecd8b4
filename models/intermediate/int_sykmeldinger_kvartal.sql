-- Lost working days per employment relationship and quarter: each current sick-leave certificate is matched to the
-- employment relationship it belongs to, cut to the days they share, then to the quarters of the period, and
-- weighted by the sick-leave grade and the position percentage.
-- Matched before the cut into quarters: a certificate meets one relationship (5.75 M rows at 10 M certificates),
-- not the 20.6 M relationship-quarters, and the join has the relationships' own dates to compare.
with

sykmeldinger as (

    {{ current_rows(ref('hist_sykmelding__sykmeldinger')) }}

),

arbeidsforhold as (

    {{ current_rows(ref('hist_aareg__arbeidsforhold')) }}

),

kvartaler as (

    select * from {{ ref('int_kvartaler') }}

),

kalender as (

    select * from {{ ref('int_kalender_dager') }}

),

sykmeldt_i_arbeidsforholdet as (

    select
        arbeidsforhold.arbeidsforhold_id,
        arbeidsforhold.stillingsprosent,
        sykmeldinger.sykmelding_id,
        sykmeldinger.sykmeldingsgrad,
        greatest(sykmeldinger.fra_og_med_dato, arbeidsforhold.fra_og_med_dato) as sykmeldt_fra,
        least(sykmeldinger.til_og_med_dato, coalesce(arbeidsforhold.til_og_med_dato, sykmeldinger.til_og_med_dato))
            as sykmeldt_til

    from sykmeldinger
    inner join arbeidsforhold
        on
            sykmeldinger.fodselsnummer = arbeidsforhold.fodselsnummer
            and sykmeldinger.organisasjonsnummer = arbeidsforhold.organisasjonsnummer
            and sykmeldinger.fra_og_med_dato <= coalesce(arbeidsforhold.til_og_med_dato, sykmeldinger.til_og_med_dato)
            and sykmeldinger.til_og_med_dato >= arbeidsforhold.fra_og_med_dato

),

per_kvartal as (

    select
        sykmeldt_i_arbeidsforholdet.arbeidsforhold_id,
        sykmeldt_i_arbeidsforholdet.stillingsprosent,
        sykmeldt_i_arbeidsforholdet.sykmeldingsgrad,
        kvartaler.kvartal,
        greatest(sykmeldt_i_arbeidsforholdet.sykmeldt_fra, kvartaler.kvartal_start) as sykmeldt_fra,
        least(sykmeldt_i_arbeidsforholdet.sykmeldt_til, kvartaler.kvartal_slutt) as sykmeldt_til

    from sykmeldt_i_arbeidsforholdet
    -- the days they share in the quarter are not empty (one condition, as in int_arbeidsforhold_kvartal)
    inner join kvartaler
        on
            greatest(sykmeldt_i_arbeidsforholdet.sykmeldt_fra, kvartaler.kvartal_start)
            <= least(sykmeldt_i_arbeidsforholdet.sykmeldt_til, kvartaler.kvartal_slutt)

),

per_sykmelding as (

    select
        per_kvartal.arbeidsforhold_id,
        per_kvartal.kvartal,
        (sluttdag.virkedager_hittil - startdag.virkedager_hittil + startdag.er_virkedag)
        * per_kvartal.sykmeldingsgrad / 100.0
        * per_kvartal.stillingsprosent / 100 as tapte_dagsverk

    from per_kvartal
    -- left joins, as in int_arbeidsforhold_kvartal: every day of a quarter is in the calendar
    left join kalender as startdag on per_kvartal.sykmeldt_fra = startdag.dato
    left join kalender as sluttdag on per_kvartal.sykmeldt_til = sluttdag.dato

),

per_arbeidsforhold as (

    select
        arbeidsforhold_id,
        kvartal,
        count(*) as antall_sykmeldinger,
        cast(sum(tapte_dagsverk) as {{ dbt.type_numeric() }}) as tapte_dagsverk

    from per_sykmelding
    group by arbeidsforhold_id, kvartal

)

select * from per_arbeidsforhold
