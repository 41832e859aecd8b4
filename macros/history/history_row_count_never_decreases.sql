{#- A history only grows: its row count now is at least the highest count ever logged for it
    (log_history_row_counts writes the log after each dbt invocation). Fails with both counts. -#}
{%- test history_row_count_never_decreases(model) -%}
    {%- set log = history_row_count_log() -%}
    {%- set log_relation = adapter.get_relation(database=log.database, schema=log.schema, identifier=log.identifier)
        if execute else none -%}
    {%- if log_relation is none -%}
        {#- no run has logged a count yet: nothing to compare with -#}
        select 1 as rader where 1 = 0
    {%- else -%}
    with

    now_count as (

        select count(*) as rader from {{ model }}

    ),

    logged as (

        select max(rader) as hoeyeste_loggede_rader
        from {{ log_relation }}
        where historikk = '{{ model.identifier }}'

    )

    select
        now_count.rader,
        logged.hoeyeste_loggede_rader,
        'a history never has fewer rows than an earlier run logged' as regel
    from now_count
    cross join logged
    where now_count.rader < logged.hoeyeste_loggede_rader
    {%- endif -%}
{%- endtest -%}
