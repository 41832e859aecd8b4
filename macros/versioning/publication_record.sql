{#-
    The register's row for a relation, as a dict (dataset, version, sql_fingerprint, published_at, accepted), or
    none when the relation is not published (or nothing is published yet). accepted lists the text fingerprints
    of code changes the tooling proved cannot change the published data (table kodeendringer beside the register).
-#}
{%- macro publication_record(relation) -%}
    {%- set register = publication_register() -%}
    {%- if adapter.get_relation(database=register.database, schema=register.schema,
                                identifier=register.identifier) is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set where = " where relation_schema = '" ~ relation.schema ~ "' and relation_name = '" ~ relation.identifier ~ "'" -%}
    {%- set found = run_query(
        "select dataset, version, sql_fingerprint, cast(published_at as " ~ dbt.type_string() ~ ") from " ~ register
        ~ where
    ) -%}
    {%- if found.rows | length == 0 -%}{{ return(none) }}{%- endif -%}
    {%- set row = found.rows[0] -%}
    {%- set accepted = [] -%}
    {%- set changes = api.Relation.create(database=register.database, schema=register.schema,
                                          identifier='kodeendringer', type='table') -%}
    {%- if adapter.get_relation(database=changes.database, schema=changes.schema,
                                identifier=changes.identifier) is not none -%}
        {%- for change in run_query("select sql_fingerprint from " ~ changes ~ where).rows -%}
            {%- do accepted.append(change[0]) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return({'dataset': row[0], 'version': row[1], 'sql_fingerprint': row[2], 'published_at': row[3],
               'accepted': accepted}) }}
{%- endmacro -%}
