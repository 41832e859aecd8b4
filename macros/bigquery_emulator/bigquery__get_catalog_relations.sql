{#- The docs catalog for the selected relations. Production: dbt-bigquery's own macro; emulator: see bigquery_emulator_catalog. -#}
{%- macro bigquery__get_catalog_relations(information_schema, relations) -%}
    {%- if not is_bigquery_emulator() -%}
        {{ return(dbt.bigquery__get_catalog_relations(information_schema, relations)) }}
    {%- endif -%}
    {{ return(bigquery_emulator_catalog(relations)) }}
{%- endmacro -%}
