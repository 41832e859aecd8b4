{#- ISO day of the week of a date expression: 1 = Monday ... 7 = Sunday. -#}
{%- macro iso_weekday(date_expression) -%}
    {{ return(adapter.dispatch('iso_weekday')(date_expression)) }}
{%- endmacro -%}

{%- macro default__iso_weekday(date_expression) -%}
    extract(isodow from {{ date_expression }})
{%- endmacro -%}

{%- macro bigquery__iso_weekday(date_expression) -%}
    mod(extract(dayofweek from {{ date_expression }}) + 5, 7) + 1
{%- endmacro -%}
