{#- A raw text column read as a date in the format its source YAML declares for it (the column's meta.format, e.g.
    '%d.%m.%Y', the same format the loader checks every value against before it loads an extract). The format is
    written once, in the source YAML; the compiled SQL is a parse with that format as a literal, which the staging
    check accepts as a cast. A value that doesn't parse fails the build on every engine. -#}
{%- macro parse_date(column) -%}
    {{ return(adapter.dispatch('parse_date')(column, source_column_format(column))) }}
{%- endmacro -%}

{%- macro default__parse_date(column, format) -%}
    cast(strptime({{ column }}, '{{ format }}') as date)
{%- endmacro -%}

{%- macro postgres__parse_date(column, format) -%}
    to_date({{ column }}, '{{ postgres_datetime_format(format) }}')
{%- endmacro -%}

{%- macro bigquery__parse_date(column, format) -%}
    parse_date('{{ format }}', {{ column }})
{%- endmacro -%}
