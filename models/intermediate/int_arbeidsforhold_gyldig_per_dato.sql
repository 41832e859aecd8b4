-- Employment relationships that ran on one day, as the warehouse knows them now: a valid-time read.
-- Set the day with --vars '{gyldighetsdato: "2025-03-01"}'; without it, today.

with

arbeidsforhold_gyldige as (

    {% if var('gyldighetsdato', none) is none -%}
        {{ valid_at(ref('hist_aareg__arbeidsforhold'), "cast(" ~ dbt.current_timestamp() ~ " as date)") }}
    {%- else -%}
        {{ valid_at(ref('hist_aareg__arbeidsforhold'), "cast('" ~ var('gyldighetsdato') ~ "' as date)") }}
    {%- endif %}

),

valgt as (

    select
        arbeidsforhold_id,
        fodselsnummer,
        organisasjonsnummer,
        stillingsprosent,
        fra_og_med_dato,
        til_og_med_dato,
        gyldig_fra

    from arbeidsforhold_gyldige

)

select * from valgt
