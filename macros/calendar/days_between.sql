{#- One row per day from start_date to end_date (both included), in a column named dato. -#}
{%- macro days_between(start_date, end_date) -%}
    {{ return(adapter.dispatch('days_between')(start_date, end_date)) }}
{%- endmacro -%}

{%- macro default__days_between(start_date, end_date) -%}
    select cast(d as date) as dato
    from generate_series(cast('{{ start_date }}' as date), cast('{{ end_date }}' as date), interval '1 day') as days (d)
{%- endmacro -%}

{%- macro duckdb__days_between(start_date, end_date) -%}
    select cast(d as date) as dato
    from generate_series(cast('{{ start_date }}' as date), cast('{{ end_date }}' as date), interval 1 day) as days (d)
{%- endmacro -%}

{%- macro bigquery__days_between(start_date, end_date) -%}
    select dato
    from unnest(generate_date_array(date '{{ start_date }}', date '{{ end_date }}')) as dato
{%- endmacro -%}
