{#- SQL for the history guard's hook: on PostgreSQL, take a transaction-level advisory lock on the history, so
    two runs at the same time take turns (the second sees the first's rows and adds nothing twice). The lock
    lasts until the snapshot commits. DuckDB allows one writer per file; BigQuery serialises DML per table. -#}
{%- macro history_lock() -%}
    {{ return(adapter.dispatch('history_lock')()) }}
{%- endmacro -%}

{%- macro default__history_lock() -%}
{%- endmacro -%}

{%- macro postgres__history_lock() -%}
    select pg_advisory_xact_lock(hashtext('{{ this.schema }}.{{ this.identifier }}'))
{%- endmacro -%}
