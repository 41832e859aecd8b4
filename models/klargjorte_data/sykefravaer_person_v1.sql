-- Person level: agreed and lost working days per employment relationship and quarter.
with

arbeidsforhold_kvartal as (

    select * from {{ ref('int_arbeidsforhold_kvartal') }}

),

sykmeldinger_kvartal as (

    select * from {{ ref('int_sykmeldinger_kvartal') }}

),

virksomheter as (

    select * from {{ ref('int_virksomheter_klassifisert') }}

),

samlet as (

    select
        ---------- ids
        arbeidsforhold_kvartal.arbeidsforhold_id,
        {{ pseudonymize('arbeidsforhold_kvartal.fodselsnummer') }} as person_pseudonym,
        arbeidsforhold_kvartal.organisasjonsnummer,

        ---------- dimensions
        arbeidsforhold_kvartal.kvartal,
        virksomheter.naering_hovedomraade,
        virksomheter.fylkesnummer,

        ---------- measures
        cast(arbeidsforhold_kvartal.stillingsprosent as {{ dbt.type_numeric() }}) as stillingsprosent,
        arbeidsforhold_kvartal.avtalte_dagsverk,
        cast(coalesce(sykmeldinger_kvartal.tapte_dagsverk, 0) as {{ dbt.type_numeric() }}) as tapte_dagsverk,
        coalesce(sykmeldinger_kvartal.antall_sykmeldinger, 0) as antall_sykmeldinger

    from arbeidsforhold_kvartal
    left join sykmeldinger_kvartal
        on
            arbeidsforhold_kvartal.arbeidsforhold_id = sykmeldinger_kvartal.arbeidsforhold_id
            and arbeidsforhold_kvartal.kvartal = sykmeldinger_kvartal.kvartal
    left join virksomheter
        on arbeidsforhold_kvartal.organisasjonsnummer = virksomheter.organisasjonsnummer

)

select * from samlet
