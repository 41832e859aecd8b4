-- The open table: the sick-leave percentage per quarter, industry section and county, with small cells suppressed
-- (macros/privacy/suppress_small_cells): totals per quarter x industry and per quarter x county are published or
-- known elsewhere, so a lone suppressed cell in either gets a second one.
with

statistikk as (

    select * from {{ ref('sykefravaersprosent') }}

),

prikket as (

    {{ suppress_small_cells(
        'statistikk',
        count_column='antall_personer',
        margins=[['kvartal', 'naering_hovedomraade'], ['kvartal', 'fylkesnummer']],
        measures=['avtalte_dagsverk', 'tapte_dagsverk', 'sykefravaersprosent'],
    ) }}

),

offentlig as (

    select
        kvartal,
        naering_hovedomraade,
        fylkesnummer,
        antall_personer,
        avtalte_dagsverk,
        tapte_dagsverk,
        sykefravaersprosent,
        prikket

    from prikket

)

select * from offentlig
