-- Lost working days per employment relationship and quarter: each current sick-leave certificate is cut to the
-- days it overlaps the employment in the quarter, weighted by the sick-leave grade and the position percentage.
with

sykmeldinger as (

    {{ current_rows(ref('hist_sykmelding__sykmeldinger')) }}

),

arbeidsforhold_kvartal as (

    select * from {{ ref('int_arbeidsforhold_kvartal') }}

),

kalender as (

    select * from {{ ref('int_kalender_dager') }}

),

overlapp as (

    select
        arbeidsforhold_kvartal.arbeidsforhold_id,
        arbeidsforhold_kvartal.kvartal,
        arbeidsforhold_kvartal.stillingsprosent,
        sykmeldinger.sykmelding_id,
        sykmeldinger.sykmeldingsgrad,
        greatest(sykmeldinger.fra_og_med_dato, arbeidsforhold_kvartal.periode_start) as sykmeldt_fra,
        least(sykmeldinger.til_og_med_dato, arbeidsforhold_kvartal.periode_slutt) as sykmeldt_til

    from sykmeldinger
    inner join arbeidsforhold_kvartal
        on
            sykmeldinger.fodselsnummer = arbeidsforhold_kvartal.fodselsnummer
            and sykmeldinger.organisasjonsnummer = arbeidsforhold_kvartal.organisasjonsnummer
            and sykmeldinger.fra_og_med_dato <= arbeidsforhold_kvartal.periode_slutt
            and sykmeldinger.til_og_med_dato >= arbeidsforhold_kvartal.periode_start

),

per_sykmelding as (

    select
        overlapp.arbeidsforhold_id,
        overlapp.kvartal,
        overlapp.sykmelding_id,
        (sluttdag.virkedager_hittil - startdag.virkedager_hittil + startdag.er_virkedag)
        * overlapp.sykmeldingsgrad / 100.0
        * overlapp.stillingsprosent / 100 as tapte_dagsverk

    from overlapp
    inner join kalender as startdag on overlapp.sykmeldt_fra = startdag.dato
    inner join kalender as sluttdag on overlapp.sykmeldt_til = sluttdag.dato

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
