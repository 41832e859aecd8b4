{#- Where each history's row count is logged after every dbt invocation (see log_history_row_counts). -#}
{%- macro history_row_count_log() -%}
    {{ return(api.Relation.create(database=target.database, schema='historikk', identifier='historikk_radtall_logg')) }}
{%- endmacro -%}
