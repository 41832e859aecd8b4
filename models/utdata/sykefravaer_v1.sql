-- The open table: the sick-leave percentage per quarter, industry section and county.
with

statistikk as (

    select * from {{ ref('sykefravaersprosent') }}

),

offentlig as (

    select
        kvartal,
        naering_hovedomraade,
        fylkesnummer,
        avtalte_dagsverk,
        tapte_dagsverk,
        sykefravaersprosent

    from statistikk

)

select * from offentlig
