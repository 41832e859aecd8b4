{#- Part of history_guard: a delivery older than the newest version already in the history is refused before
    anything is written. Its versions would start before versions already recorded (gyldig_fra is the delivery
    time), rewriting what the warehouse knew in the past. The loader refuses it first, naming the folder; this
    holds for a plain `dbt snapshot --vars '{leveringstidspunkt: ...}'` too. -#}
{%- macro history_delivery_order() -%}
    {%- set delivered = history_delivery_time() -%}
    {%- set history = adapter.get_relation(database=this.database, schema=this.schema, identifier=this.identifier) -%}
    {%- if not delivered or history is none -%}
        {{ return('') }}
    {%- endif -%}
    {%- set columns = config.get('snapshot_table_column_names') or get_snapshot_table_column_names() -%}
    {%- set newest_sql -%}
        select cast(max({{ columns.dbt_valid_from }}) as {{ dbt.type_string() }}) as nyeste
        from {{ history }}
        having max({{ columns.dbt_valid_from }}) > {{ delivered }}
    {%- endset -%}
    {%- set newer = run_query(newest_sql) -%}
    {%- if newer.rows | length > 0 -%}
        {{ exceptions.raise_compiler_error(
            model.name ~ ': the delivery now in raw (' ~ history_guard_batch() ~ ', delivered '
            ~ var('leveringstidspunkt') ~ ') is older than the newest version in history (' ~ newer.rows[0][0]
            ~ '). Nothing was written to history: deliveries are recorded oldest first, and history is never '
            ~ 'rewritten in the past.') }}
    {%- endif -%}
{%- endmacro -%}
