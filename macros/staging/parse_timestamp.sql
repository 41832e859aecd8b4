{#- A raw text column read as a timestamp in the format its source YAML declares for it (the column's meta.format,
    e.g. '%d.%m.%Y %H:%M:%S'); see parse_date. -#}
{%- macro parse_timestamp(column) -%}
    {{ return(adapter.dispatch('parse_timestamp')(column, source_column_format(column))) }}
{%- endmacro -%}

{%- macro default__parse_timestamp(column, format) -%}
    strptime({{ column }}, '{{ format }}')
{%- endmacro -%}

{%- macro postgres__parse_timestamp(column, format) -%}
    cast(to_timestamp({{ column }}, '{{ postgres_datetime_format(format) }}') as timestamp)
{%- endmacro -%}

{%- macro bigquery__parse_timestamp(column, format) -%}
    parse_timestamp('{{ format }}', {{ column }})
{%- endmacro -%}
