{#-
    The warehouse table recording every published dataset version (written by `dataprodukt publish`):
    <publication schema>.register, the schema from the var publication_schema (default publisering).
-#}
{%- macro publication_register() -%}
    {{ return(api.Relation.create(database=target.database, schema=var('publication_schema', 'publisering'),
                                  identifier='register', type='table')) }}
{%- endmacro -%}
