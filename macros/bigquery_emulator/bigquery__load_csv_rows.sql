{#-
    Seeds on BigQuery. Production: dbt-bigquery's own macro, unchanged. On the emulator the table options statement
    is left out: the emulator keeps no table options, and its parser breaks on a description holding parentheses.
-#}
{%- macro bigquery__load_csv_rows(model, agate_table) -%}
    {%- if not is_bigquery_emulator() -%}
        {{ return(dbt.bigquery__load_csv_rows(model, agate_table)) }}
    {%- endif -%}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {{ adapter.load_dataframe(model['database'], model['schema'], model['alias'],
                              agate_table, column_override, model['config']['delimiter']) }}
    {%- if config.persist_relation_docs() and 'description' in model -%}
        {{ adapter.update_table_description(model['database'], model['schema'], model['alias'], model['description']) }}
    {%- endif -%}
{%- endmacro -%}
