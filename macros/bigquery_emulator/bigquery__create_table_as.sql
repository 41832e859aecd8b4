{#-
    Tables on BigQuery. Production: dbt-bigquery's own macro, unchanged. On the emulator a table with an enforced
    contract is made in two statements (create with the contract's columns, then insert the select), since the
    emulator can't run BigQuery's `create table (columns) as select`. dbt still checks the contract's columns first.
-#}
{%- macro bigquery__create_table_as(temporary, relation, compiled_code, language='sql') -%}
    {%- set contract_config = config.get('contract') -%}
    {%- if not (is_bigquery_emulator() and language == 'sql' and contract_config.enforced and not temporary) -%}
        {{ return(dbt.bigquery__create_table_as(temporary, relation, compiled_code, language)) }}
    {%- endif -%}
    {%- set partition_config = adapter.parse_partition_by(config.get('partition_by', none)) -%}
    {{ get_assert_columns_equivalent(compiled_code) }}
    create or replace table {{ relation }}
    {{ get_table_columns_and_constraints() }}
    {{ partition_by(partition_config) }}
    {{ cluster_by(config.get('cluster_by', none)) }}
    {{ bigquery_table_options(config, model, temporary) }};
    insert into {{ relation }} ({{ model['columns'].keys() | join(', ') }})
    {{ get_select_subquery(compiled_code) }};
{%- endmacro -%}
