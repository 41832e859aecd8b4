-- Employment relationships as the warehouse knew them at one moment (transaction time, UTC): an as-of read.
-- Set the moment with --vars '{historikk_tidspunkt: "2025-02-01 00:00:00"}'; without it, now.

with

arbeidsforhold_per_tidspunkt as (

    {% if var('historikk_tidspunkt', none) is none -%}
        {{ as_of(ref('hist_aareg__arbeidsforhold'), snapshot_get_time()) }}
    {%- else -%}
        {{ as_of(ref('hist_aareg__arbeidsforhold'),
                 "cast('" ~ var('historikk_tidspunkt') ~ "' as " ~ dbt.type_timestamp() ~ ")") }}
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
        endret_tidspunkt,
        gyldig_fra,
        gyldig_til

    from arbeidsforhold_per_tidspunkt

)

select * from valgt
