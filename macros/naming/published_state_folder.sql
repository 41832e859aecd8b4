{#-
    The data-state folder (klargjorte_data, statistikk, utdata, ...) a published model of this project lives in,
    or an empty string for every other node. A model is published when its folder's config in dbt_project.yml
    gives it the published_table materialization: the folders are listed there (and in the tooling's
    rules/naming_standard.py, which the layout check compares them with), nowhere else.
-#}
{%- macro published_state_folder(node) -%}
    {%- if node is none or node.resource_type != 'model' or node.package_name != project_name
          or node.config.materialized != 'published_table' -%}
        {{ return('') }}
    {%- endif -%}
    {%- set parts = (node.original_file_path or '').split('/') -%}
    {{ return(parts[1] if parts | length > 2 and parts[0] == 'models' else '') }}
{%- endmacro -%}
