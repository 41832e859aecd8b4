{#- A history's first run. For a source of changes (history_deleted_when), a row that deletes a key the history
    never held is left out: there is nothing to close, and it must not become a live row. Otherwise dbt's own. -#}
{%- macro default__build_snapshot_table(strategy, sql) -%}
    {%- set deleted_when = history_deleted_when() -%}
    {%- if not deleted_when -%}
        {{ return(dbt.default__build_snapshot_table(strategy, sql)) }}
    {%- endif -%}
    {%- set live_rows -%}
        select * from ({{ sql }}) as changes where not coalesce(({{ deleted_when }}), false)
    {%- endset -%}
    {{ return(dbt.default__build_snapshot_table(strategy, live_rows)) }}
{%- endmacro -%}
