{#- Names the raw batch now in the raw tables (the loader writes raw.siste_innlasting), for error messages. -#}
{%- macro history_guard_batch() -%}
    {%- set relation = adapter.get_relation(database=target.database, schema='raw', identifier='siste_innlasting') -%}
    {%- if relation is none -%}
        {{ return('the raw extract now loaded') }}
    {%- endif -%}
    {%- set result = run_query('select batch from ' ~ relation ~ ' order by lastet desc limit 1') -%}
    {%- if result.rows | length == 0 -%}
        {{ return('the raw extract now loaded') }}
    {%- endif -%}
    {{ return('raw batch ' ~ result.rows[0][0]) }}
{%- endmacro -%}
