{#- Which staging query a snapshot runs: dbt's own for a reference twin (meta.staging_query: dbt), otherwise the
    one dbt dispatches to (the template's default__snapshot_staging_table). Overrides dbt's macro of this name,
    which dbt's snapshot materialization calls. -#}
{%- macro snapshot_staging_table(strategy, source_sql, target_relation) -%}
    {%- if (config.get('meta') or {}).get('staging_query') == 'dbt' -%}
        {{ return(dbt.default__snapshot_staging_table(strategy, source_sql, target_relation)) }}
    {%- endif -%}
    {{ return(adapter.dispatch('snapshot_staging_table', 'dbt')(strategy, source_sql, target_relation)) }}
{%- endmacro -%}
