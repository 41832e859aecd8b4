-- The sick-leave percentage per quarter, industry section and county: lost / agreed working days x 100.
with

person as (

    select * from {{ ref('sykefravaer_person') }}

),

arbeidsforhold_kvartal as (

    select * from {{ ref('int_arbeidsforhold_kvartal') }}

),

dagsverk_per_celle as (

    select
        kvartal,
        naering_hovedomraade,
        fylkesnummer,
        cast(sum(avtalte_dagsverk) as {{ dbt.type_numeric() }}) as avtalte_dagsverk,
        cast(sum(tapte_dagsverk) as {{ dbt.type_numeric() }}) as tapte_dagsverk

    from person
    group by kvartal, naering_hovedomraade, fylkesnummer

),

personer_per_celle as (

    -- persons counted on the national id in the relationships the person-level table is made of: 11 characters
    -- compare far faster than the published 64-character pseudonyms (one pseudonym per national id, so the count
    -- is the same)
    select
        kvartal,
        naering_hovedomraade,
        fylkesnummer,
        count(distinct fodselsnummer) as antall_personer

    from arbeidsforhold_kvartal
    group by kvartal, naering_hovedomraade, fylkesnummer

),

per_celle as (

    select
        dagsverk_per_celle.kvartal,
        dagsverk_per_celle.naering_hovedomraade,
        dagsverk_per_celle.fylkesnummer,
        personer_per_celle.antall_personer,
        dagsverk_per_celle.avtalte_dagsverk,
        dagsverk_per_celle.tapte_dagsverk

    from dagsverk_per_celle
    -- an employer with no known industry section or county makes a cell whose dimension is empty: match it too
    left join personer_per_celle
        on
            dagsverk_per_celle.kvartal = personer_per_celle.kvartal
            and dagsverk_per_celle.naering_hovedomraade is not distinct from personer_per_celle.naering_hovedomraade
            and dagsverk_per_celle.fylkesnummer is not distinct from personer_per_celle.fylkesnummer

),

prosent as (

    select
        kvartal,
        naering_hovedomraade,
        fylkesnummer,
        antall_personer,
        avtalte_dagsverk,
        tapte_dagsverk,
        cast(round(100 * tapte_dagsverk / nullif(avtalte_dagsverk, 0), 2) as {{ dbt.type_numeric() }})
            as sykefravaersprosent

    from per_celle

)

select * from prosent
