{#-
    The labels a published table carries on BigQuery (billing reports, the catalog) that follow from its identity:
    the product, the dbt model version and the owning team (var owner). The data_state label is set per folder
    in dbt_project.yml. Label values: lower case letters, digits, - and _.
-#}
{%- macro dataset_labels(node) -%}
    {{ return({'product': dataset_product(node) | lower, 'version': node.version | string,
               'owner': var('owner') | string | lower}) }}
{%- endmacro -%}
