{#-
    The schema of a model is the custom schema its folder sets in dbt_project.yml (staging, historikk, ...),
    used as it is: no target-schema prefix, so the same names hold on DuckDB, PostgreSQL and BigQuery.
    Models without a custom schema land in the target's schema.
-#}
{%- macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro -%}
