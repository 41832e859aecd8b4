-- Employment relationships that ran on one day, as the warehouse knew them at one moment: both clocks.
-- Set them with --vars '{gyldighetsdato: "2025-03-01", historikk_tidspunkt: "2025-03-15 00:00:00"}'; without them,
-- today and now.

with

arbeidsforhold_gyldige_da as (

    {{ valid_at_as_of(
        ref('hist_aareg__arbeidsforhold'),
        "cast('" ~ var('gyldighetsdato') ~ "' as date)" if var('gyldighetsdato', none) is not none
            else "cast(" ~ dbt.current_timestamp() ~ " as date)",
        "cast('" ~ var('historikk_tidspunkt') ~ "' as " ~ dbt.type_timestamp() ~ ")"
            if var('historikk_tidspunkt', none) is not none else snapshot_get_time()
    ) }}

),

valgt as (

    select
        arbeidsforhold_id,
        fodselsnummer,
        organisasjonsnummer,
        stillingsprosent,
        fra_og_med_dato,
        til_og_med_dato,
        gyldig_fra,
        gyldig_til

    from arbeidsforhold_gyldige_da

)

select * from valgt
