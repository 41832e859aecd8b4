{#-
    The fingerprint of a model's own code text: md5 of its compiled SQL, with every run of 64 or more hex digits
    (key material such as the pseudonymisation pads) written <key>, and its declared columns (name:data_type per
    line). dataprodukt.publish.fingerprints.sql_fingerprint computes the same from manifest.json; the register stores
    it. Jinja can compare text only: whether a changed text can change the data is decided by the tooling on the
    syntax tree (docs/versions.md).
-#}
{%- macro sql_fingerprint(node, compiled_sql) -%}
    {%- set lines = [] -%}
    {%- for name, column in node.columns.items() -%}
        {%- do lines.append(name ~ ':' ~ (column.data_type or '')) -%}
    {%- endfor -%}
    {%- set masked = modules.re.sub('[0-9a-fA-F]{64,}', '<key>', compiled_sql | trim) -%}
    {{ return(local_md5(masked ~ '\n' ~ lines | join('\n'))) }}
{%- endmacro -%}
