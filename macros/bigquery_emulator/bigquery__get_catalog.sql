{#- The docs catalog for whole datasets. Production: dbt-bigquery's own macro; emulator: see bigquery_emulator_catalog. -#}
{%- macro bigquery__get_catalog(information_schema, schemas) -%}
    {%- if not is_bigquery_emulator() -%}
        {{ return(dbt.bigquery__get_catalog(information_schema, schemas)) }}
    {%- endif -%}
    {%- set relations = [] -%}
    {%- for schema in schemas -%}
        {%- set dataset = api.Relation.create(database=information_schema.database, schema=schema) -%}
        {%- do relations.extend(adapter.list_relations_without_caching(dataset)) -%}
    {%- endfor -%}
    {{ return(bigquery_emulator_catalog(relations)) }}
{%- endmacro -%}
