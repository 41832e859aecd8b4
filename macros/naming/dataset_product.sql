{#-
    The product short name of a published model: the var product (level 1 of its storage path, the first part
    of its schema). One project is one product, so a model can't name another one.
-#}
{%- macro dataset_product(node) -%}
    {%- set product = var('product', '') | string -%}
    {%- set stated = (node.config.meta or {}).get('product') -%}
    {%- if not product -%}
        {{ exceptions.raise_compiler_error("the var product is not set: set it in dbt_project.yml to the product's "
                                           ~ "short name (e.g. product: ameld_data)") }}
    {%- endif -%}
    {%- if stated and stated | string != product -%}
        {{ exceptions.raise_compiler_error("published model " ~ node.name ~ " (" ~ node.original_file_path ~ ") sets "
                                           ~ "meta.product '" ~ stated ~ "', but the project is product '" ~ product
                                           ~ "': remove meta.product (the var product names the product)") }}
    {%- endif -%}
    {{ return(product) }}
{%- endmacro -%}
