{#-
    The data-state folder (inndata, klargjorte_data, statistikk, utdata) a model of this project lives in,
    or an empty string for every other node: the folder is what makes a model a published dataset.
-#}
{%- macro published_state_folder(node) -%}
    {%- if node is none or node.resource_type != 'model' or node.package_name != project_name -%}
        {{ return('') }}
    {%- endif -%}
    {%- set parts = (node.original_file_path or '').split('/') -%}
    {%- if parts | length > 2 and parts[0] == 'models'
          and parts[1] in ['inndata', 'klargjorte_data', 'statistikk', 'utdata'] -%}
        {{ return(parts[1]) }}
    {%- endif -%}
    {{ return('') }}
{%- endmacro -%}
