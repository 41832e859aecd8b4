{#-
    A published model's relation is named like its stored file, following SSB's naming standard:
    <description>_p<FROM>[_p<TO>]_v<N> (e.g. sykefravaersprosent_p2024-Q1_p2024-Q4_v1). The name is checked
    here, so a bad name fails at compile time naming the model. Other models keep dbt's default
    (<model> or <model>_v<N>). dbt calls this twice for a versioned model: first while reading its SQL file
    (no version yet; the YAML is read later), then with its version: only the second call names the dataset, and
    the layout check reports a published model without versions.

    The dataset's identity is computed here once and kept on the node, so nothing states it twice: meta
    dataset_stem and product (the tooling reads them from the manifest instead of computing them again) and the
    BigQuery labels product, version and owner (beside the folder's data_state label from dbt_project.yml).
-#}
{%- macro generate_alias_name(custom_alias_name=none, node=none) -%}
    {%- if published_state_folder(node) and node.version is not none -%}
        {%- set stem = dataset_stem(node) -%}
        {%- do node.config.meta.update({'dataset_stem': stem, 'product': dataset_product(node)}) -%}
        {%- set labels = node.config.get('labels') -%}
        {%- if labels is mapping -%}
            {#- in the order a reader scans them: product, the folder's data_state, version, owner -#}
            {%- set identity = dataset_labels(node) -%}
            {%- set ordered = {'product': identity.product} -%}
            {%- do ordered.update(labels) -%}
            {%- do ordered.update(identity) -%}
            {%- do labels.clear() -%}
            {%- do labels.update(ordered) -%}
        {%- endif -%}
        {{ return(warehouse_identifier(stem)) }}
    {%- endif -%}
    {{ return(dbt.default__generate_alias_name(custom_alias_name, node)) }}
{%- endmacro -%}
