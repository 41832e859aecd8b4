{#-
    A table that is never rebuilt once published. Before building, the model's relation is looked up in the
    publication register:
    - not published (or v0): built as an ordinary table (the adapter's own table materialization);
    - published, and its code text is the published one or one the tooling proved to give the same data (a
      formatting, comment or renaming change, recorded in kodeendringer): nothing is run, nothing is rewritten
      (also with --full-refresh); the log says so;
    - published, another code text: the build fails naming the model and the version to add. Jinja can compare
      text only; `dataprodukt run` classifies the change on the syntax tree first, and records a change that cannot
      alter the data, so the build goes on (docs/versions.md).
    This holds for plain `dbt build` as well as `dataprodukt run`.
-#}
{%- materialization published_table, default -%}
    {%- set record = publication_record(this) if model.version not in [none, 0, '0'] else none -%}
    {%- if record is not none -%}
        {%- set fingerprint = sql_fingerprint(model, sql) -%}
        {%- if fingerprint != record['sql_fingerprint'] and fingerprint not in record['accepted'] -%}
            {{ exceptions.raise_compiler_error(
                record['dataset'] ~ " is published; add version " ~ ((model.latest_version or model.version) | int + 1)
                ~ " to change it (model " ~ model.name ~ " v" ~ model.version ~ ", " ~ model.original_file_path
                ~ "): its code text differs from the published code, and the relation " ~ this
                ~ " and its file are left as they are. A change that cannot alter the data (formatting, comments,"
                ~ " renamed CTEs or aliases) goes through `dataprodukt run`, which compares syntax trees") }}
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
