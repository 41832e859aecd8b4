-- Current employment relationships cut into the quarters they overlap, with agreed working days.
{{ config(materialized='table') }}

with

arbeidsforhold as (

    {{ current_rows(ref('hist_aareg__arbeidsforhold')) }}

),

kvartaler as (

    select * from {{ ref('int_kvartaler') }}

),

kalender as (

    select * from {{ ref('int_kalender_dager') }}

),

overlapp as (

    select
        arbeidsforhold.arbeidsforhold_id,
        arbeidsforhold.fodselsnummer,
        arbeidsforhold.organisasjonsnummer,
        arbeidsforhold.stillingsprosent,
        kvartaler.kvartal,
        greatest(arbeidsforhold.fra_og_med_dato, kvartaler.kvartal_start) as periode_start,
        least(coalesce(arbeidsforhold.til_og_med_dato, kvartaler.kvartal_slutt), kvartaler.kvartal_slutt)
            as periode_slutt

    from arbeidsforhold
    inner join kvartaler
        on
            arbeidsforhold.fra_og_med_dato <= kvartaler.kvartal_slutt
            and coalesce(arbeidsforhold.til_og_med_dato, kvartaler.kvartal_slutt) >= kvartaler.kvartal_start

),

dagsverk as (

    select
        overlapp.arbeidsforhold_id,
        overlapp.fodselsnummer,
        overlapp.organisasjonsnummer,
        overlapp.stillingsprosent,
        overlapp.kvartal,
        overlapp.periode_start,
        overlapp.periode_slutt,
        sluttdag.virkedager_hittil - startdag.virkedager_hittil + startdag.er_virkedag as virkedager,
        cast(
            (sluttdag.virkedager_hittil - startdag.virkedager_hittil + startdag.er_virkedag)
            * overlapp.stillingsprosent / 100 as {{ dbt.type_numeric() }}
        ) as avtalte_dagsverk

    from overlapp
    inner join kalender as startdag on overlapp.periode_start = startdag.dato
    inner join kalender as sluttdag on overlapp.periode_slutt = sluttdag.dato

)

select * from dagsverk
