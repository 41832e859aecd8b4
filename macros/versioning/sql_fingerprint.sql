{#-
    The fingerprint of a model's own code: md5 of its compiled SQL and its declared columns (name:data_type per
    line). dataprodukt.register.sql_fingerprint computes the same from manifest.json; the register stores it.
-#}
{%- macro sql_fingerprint(node, compiled_sql) -%}
    {%- set lines = [] -%}
    {%- for name, column in node.columns.items() -%}
        {%- do lines.append(name ~ ':' ~ (column.data_type or '')) -%}
    {%- endfor -%}
    {{ return(local_md5((compiled_sql | trim) ~ '\n' ~ lines | join('\n'))) }}
{%- endmacro -%}
