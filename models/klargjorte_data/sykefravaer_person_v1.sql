-- Person level: agreed and lost working days per employment relationship and quarter.
with

arbeidsforhold_kvartal as (

    select * from {{ ref('int_arbeidsforhold_kvartal') }}

),

sykmeldinger_kvartal as (

    select * from {{ ref('int_sykmeldinger_kvartal') }}

),

pseudonymer as (

    -- one keyed hash per person, not one per relationship and quarter (four times as many): the hash is the
    -- costliest expression in the model
    select
        arbeidsforhold_kvartal.fodselsnummer,
        {{ pseudonymize('arbeidsforhold_kvartal.fodselsnummer') }} as person_pseudonym

    from {{ ref('int_arbeidsforhold_kvartal') }} as arbeidsforhold_kvartal
    group by arbeidsforhold_kvartal.fodselsnummer

),

samlet as (

    select
        ---------- ids
        arbeidsforhold_kvartal.arbeidsforhold_id,
        pseudonymer.person_pseudonym,
        arbeidsforhold_kvartal.organisasjonsnummer,

        ---------- dimensions
        arbeidsforhold_kvartal.kvartal,
        arbeidsforhold_kvartal.naering_hovedomraade,
        arbeidsforhold_kvartal.fylkesnummer,

        ---------- measures
        cast(arbeidsforhold_kvartal.stillingsprosent as {{ dbt.type_numeric() }}) as stillingsprosent,
        arbeidsforhold_kvartal.avtalte_dagsverk,
        cast(coalesce(sykmeldinger_kvartal.tapte_dagsverk, 0) as {{ dbt.type_numeric() }}) as tapte_dagsverk,
        coalesce(sykmeldinger_kvartal.antall_sykmeldinger, 0) as antall_sykmeldinger

    from arbeidsforhold_kvartal
    left join pseudonymer
        on arbeidsforhold_kvartal.fodselsnummer = pseudonymer.fodselsnummer
    left join sykmeldinger_kvartal
        on
            arbeidsforhold_kvartal.arbeidsforhold_id = sykmeldinger_kvartal.arbeidsforhold_id
            and arbeidsforhold_kvartal.kvartal = sykmeldinger_kvartal.kvartal

)

select * from samlet
