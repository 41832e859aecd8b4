-- One row per calendar day with its quarter and a running count of working days,
-- so that the working days between two dates are two equi-joins instead of a range join.
{{ config(materialized='table') }}

with

dager as (

    {{ days_between(var('calendar_start'), var('calendar_end')) }}

),

klassifisert as (

    select
        dato,
        {{ dbt.concat([
            "cast(extract(year from dato) as " ~ dbt.type_string() ~ ")",
            "'-Q'",
            "cast(extract(quarter from dato) as " ~ dbt.type_string() ~ ")",
        ]) }} as kvartal,
        case when {{ iso_weekday('dato') }} <= 5 then 1 else 0 end as er_virkedag

    from dager

),

talt as (

    select
        dato,
        kvartal,
        er_virkedag,
        sum(er_virkedag) over (order by dato rows between unbounded preceding and current row) as virkedager_hittil

    from klassifisert

)

select * from talt
