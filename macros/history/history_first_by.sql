{#- SQL aggregate: the value of `column` on the row of the group with the smallest `order_column` (nulls kept), for
    history_archive_staging_table, which keeps a version's columns as the delivery that started it held them. -#}
{%- macro history_first_by(column, order_column) -%}
    {{ return(adapter.dispatch('history_first_by')(column, order_column)) }}
{%- endmacro -%}

{%- macro default__history_first_by(column, order_column) -%}
    (array_agg({{ column }} order by {{ order_column }}))[1]
{%- endmacro -%}

{%- macro duckdb__history_first_by(column, order_column) -%}
    arg_min_null({{ column }}, {{ order_column }})
{%- endmacro -%}

{%- macro bigquery__history_first_by(column, order_column) -%}
    any_value({{ column }} having min {{ order_column }})
{%- endmacro -%}
