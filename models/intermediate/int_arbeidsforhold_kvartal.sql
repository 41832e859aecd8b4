-- Current employment relationships cut into the quarters they overlap, with the employer's industry section and
-- county and the agreed working days. A view: the cut is cheaper to compute again than 20 M rows are to write.
with

arbeidsforhold as (

    {{ current_rows(ref('hist_aareg__arbeidsforhold')) }}

),

virksomheter as (

    select * from {{ ref('int_virksomheter_klassifisert') }}

),

kvartaler as (

    select * from {{ ref('int_kvartaler') }}

),

kalender as (

    select * from {{ ref('int_kalender_dager') }}

),

med_virksomhet as (

    -- joined once per relationship, before the cut into quarters multiplies the rows
    select
        arbeidsforhold.arbeidsforhold_id,
        arbeidsforhold.fodselsnummer,
        arbeidsforhold.organisasjonsnummer,
        virksomheter.naering_hovedomraade,
        virksomheter.fylkesnummer,
        arbeidsforhold.stillingsprosent,
        arbeidsforhold.fra_og_med_dato,
        arbeidsforhold.til_og_med_dato

    from arbeidsforhold
    left join virksomheter
        on arbeidsforhold.organisasjonsnummer = virksomheter.organisasjonsnummer

),

overlapp as (

    select
        med_virksomhet.arbeidsforhold_id,
        med_virksomhet.fodselsnummer,
        med_virksomhet.organisasjonsnummer,
        med_virksomhet.naering_hovedomraade,
        med_virksomhet.fylkesnummer,
        med_virksomhet.stillingsprosent,
        kvartaler.kvartal,
        greatest(med_virksomhet.fra_og_med_dato, kvartaler.kvartal_start) as periode_start,
        least(coalesce(med_virksomhet.til_og_med_dato, kvartaler.kvartal_slutt), kvartaler.kvartal_slutt)
            as periode_slutt

    from med_virksomhet
    -- the relationship's part of the quarter is not empty; as one condition, the engine expects as many rows out
    -- as go in (two separate range conditions make it expect a few thousand, and plan for that)
    inner join kvartaler
        on
            greatest(med_virksomhet.fra_og_med_dato, kvartaler.kvartal_start)
            <= least(coalesce(med_virksomhet.til_og_med_dato, kvartaler.kvartal_slutt), kvartaler.kvartal_slutt)

),

dagsverk as (

    select
        overlapp.arbeidsforhold_id,
        overlapp.fodselsnummer,
        overlapp.organisasjonsnummer,
        overlapp.naering_hovedomraade,
        overlapp.fylkesnummer,
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
    -- every day of a quarter is in the calendar (the quarters come from it); a left join keeps the engine's row
    -- estimate, where an inner join would make it expect a fraction of the rows
    left join kalender as startdag on overlapp.periode_start = startdag.dato
    left join kalender as sluttdag on overlapp.periode_slutt = sluttdag.dato

)

select * from dagsverk
