{#-
    A table that is never rebuilt once published. Before building, the model's relation is looked up in the
    publication register:
    - not published (or v0): built as an ordinary table (the adapter's own table materialization);
    - published, same code: nothing is run, nothing is rewritten (also with --full-refresh); the log says so;
    - published, code changed: the build fails naming the model and the version to add.
    This holds for plain `dbt build` as well as `dataprodukt run`.
-#}
{%- materialization published_table, default -%}
    {%- set record = publication_record(this) if model.version not in [none, 0, '0'] else none -%}
    {%- if record is not none -%}
        {%- if sql_fingerprint(model, sql) != record['sql_fingerprint'] -%}
            {{ exceptions.raise_compiler_error(
                record['dataset'] ~ " is published; add version " ~ ((model.latest_version or model.version) | int + 1)
                ~ " to change it (model " ~ model.name ~ " v" ~ model.version ~ ", " ~ model.original_file_path
                ~ "): its code differs from the published code, and the relation " ~ this
                ~ " and its file are left as they are") }}
        {%- endif -%}
        {{ log(record['dataset'] ~ " is published (" ~ record['published_at'] ~ "): not rebuilt, left as it is",
               info=true) }}
        {%- do store_result('main', response='PUBLISHED') -%}
        {{ return({'relations': [this.incorporate(type='table')]}) }}
    {%- endif -%}
    {%- set table = context.get('materialization_table_' ~ adapter.type())
                    or context.get('materialization_table_default') -%}
    {{ return(table()) }}
{%- endmaterialization -%}
