{#-
    Decimal numbers on BigQuery get the scale they have on DuckDB and PostgreSQL (dbt's numeric(28,6)), so a
    statistic is the same number on every engine. BigQuery's bare NUMERIC would keep 9 decimals.
-#}
{%- macro bigquery__type_numeric() -%}
    numeric(28, 6)
{%- endmacro -%}
