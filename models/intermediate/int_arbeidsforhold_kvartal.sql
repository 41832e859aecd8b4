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
        slutt.virkedager_hittil - start.virkedager_hittil + start.er_virkedag as virkedager,
        cast(
            (slutt.virkedager_hittil - start.virkedager_hittil + start.er_virkedag)
            * overlapp.stillingsprosent / 100 as {{ dbt.type_numeric() }}
        ) as avtalte_dagsverk

    from overlapp
    inner join kalender as start on overlapp.periode_start = start.dato
    inner join kalender as slutt on overlapp.periode_slutt = slutt.dato

)

select * from dagsverk
