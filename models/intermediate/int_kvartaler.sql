-- The quarters of the published period (vars period_from..period_to), with their first and last day.
with

kalender as (

    select * from {{ ref('int_kalender_dager') }}

),

kvartaler as (

    select
        kvartal,
        min(dato) as kvartal_start,
        max(dato) as kvartal_slutt

    from kalender
    where kvartal between '{{ var("period_from") }}' and '{{ var("period_to") }}'
    group by kvartal

)

select * from kvartaler
