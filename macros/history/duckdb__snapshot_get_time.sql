{#- The history clock on DuckDB: the delivery time of the extract being recorded (history_delivery_time), else now
    in UTC, whatever the machine's TimeZone setting (see postgres__snapshot_get_time). Overrides dbt-duckdb's
    version (root project wins). -#}
{%- macro duckdb__snapshot_get_time() -%}
    {%- set delivered = history_delivery_time() -%}
    {%- if delivered -%}
    {{ delivered }}
    {%- else -%}
    (now() at time zone 'UTC')
    {%- endif -%}
{%- endmacro -%}
