-- Current employers with the industry section (from the two-digit NACE division) and county (from the municipality).
with

virksomheter as (

    {{ current_rows(ref('hist_enhetsregisteret__virksomheter')) }}

),

naeringer as (

    select * from {{ ref('naeringshovedomraader') }}

),

fylker as (

    select * from {{ ref('fylker') }}

),

klassifisert as (

    select
        virksomheter.organisasjonsnummer,
        virksomheter.naeringskode,
        virksomheter.kommunenummer,
        naeringer.naering_hovedomraade,
        fylker.fylkesnummer

    from virksomheter
    left join naeringer
        on substr(virksomheter.naeringskode, 1, 2) between naeringer.naering_fra and naeringer.naering_til
    left join fylker
        on substr(virksomheter.kommunenummer, 1, 2) = fylker.fylkesnummer

)

select * from klassifisert
