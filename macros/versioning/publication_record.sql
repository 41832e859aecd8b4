{#-
    The register's row for a relation, as a dict (dataset, version, sql_fingerprint, published_at), or none
    when the relation is not published (or nothing is published yet).
-#}
{%- macro publication_record(relation) -%}
    {%- set register = publication_register() -%}
    {%- if adapter.get_relation(database=register.database, schema=register.schema,
                                identifier=register.identifier) is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set found = run_query(
        "select dataset, version, sql_fingerprint, cast(published_at as " ~ dbt.type_string() ~ ") from " ~ register
        ~ " where relation_schema = '" ~ relation.schema ~ "' and relation_name = '" ~ relation.identifier ~ "'"
    ) -%}
    {%- if found.rows | length == 0 -%}{{ return(none) }}{%- endif -%}
    {%- set row = found.rows[0] -%}
    {{ return({'dataset': row[0], 'version': row[1], 'sql_fingerprint': row[2], 'published_at': row[3]}) }}
{%- endmacro -%}
