{#-
    The schema of a model is the custom schema its folder sets in dbt_project.yml (staging, historikk, ...),
    used as it is: no target-schema prefix, so the same names hold on DuckDB, PostgreSQL and BigQuery.
    A published model (a data-state folder) lives in <product>_<state>, e.g. sykefravaer_statistikk, so
    several products can share one warehouse. Models without a custom schema land in the target's schema.
-#}
{%- macro generate_schema_name(custom_schema_name, node) -%}
    {%- set state = published_state_folder(node) -%}
    {%- if state -%}
        {{ dataset_product(node) ~ '_' ~ state }}
    {%- elif custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro -%}
