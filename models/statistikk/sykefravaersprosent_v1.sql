-- The sick-leave percentage per quarter, industry section and county: lost / agreed working days x 100.
with

person as (

    select * from {{ ref('sykefravaer_person') }}

),

per_celle as (

    select
        kvartal,
        naering_hovedomraade,
        fylkesnummer,
        count(distinct person_pseudonym) as antall_personer,
        cast(sum(avtalte_dagsverk) as {{ dbt.type_numeric() }}) as avtalte_dagsverk,
        cast(sum(tapte_dagsverk) as {{ dbt.type_numeric() }}) as tapte_dagsverk

    from person
    group by kvartal, naering_hovedomraade, fylkesnummer

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
