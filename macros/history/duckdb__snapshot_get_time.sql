{#- The history clock on DuckDB: now in UTC, whatever the machine's TimeZone setting (see
    postgres__snapshot_get_time). Overrides dbt-duckdb's version (root project wins). -#}
{%- macro duckdb__snapshot_get_time() -%}
    (now() at time zone 'UTC')
{%- endmacro -%}
