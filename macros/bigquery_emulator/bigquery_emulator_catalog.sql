{#-
    The docs catalog on the emulator, made from the tables' schemas as BigQuery's REST API reports them (the
    emulator has no __TABLES__ or INFORMATION_SCHEMA.COLUMN_FIELD_PATHS for dbt's catalog query). The rows go back
    to dbt through one literal select, in the columns dbt's catalog query returns.
-#}
{%- macro bigquery_emulator_catalog(relations) -%}
    {%- set rows = [] -%}
    {%- for relation in relations -%}
        {%- set found = adapter.get_relation(database=relation.database, schema=relation.schema, identifier=relation.identifier) -%}
        {%- if found is not none -%}
            {%- for column in adapter.get_columns_in_relation(found) -%}
                {%- do rows.append(
                    "select '" ~ found.database ~ "' as table_database, '" ~ found.schema ~ "' as table_schema, '"
                    ~ found.identifier ~ "' as table_name, '" ~ found.type ~ "' as table_type, "
                    ~ "cast(null as string) as table_comment, '" ~ column.name ~ "' as column_name, "
                    ~ loop.index ~ " as column_index, '" ~ column.data_type ~ "' as column_type, "
                    ~ "cast(null as string) as column_comment"
                ) -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if not rows -%}
        {%- do rows.append(
            "select '' as table_database, '' as table_schema, '' as table_name, '' as table_type, "
            ~ "cast(null as string) as table_comment, '' as column_name, 0 as column_index, '' as column_type, "
            ~ "cast(null as string) as column_comment from unnest([1]) where false"
        ) -%}
    {%- endif -%}
    {{ return(run_query(rows | join('\nunion all\n'))) }}
{%- endmacro -%}
