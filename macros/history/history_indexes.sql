{#- Post-hook for every history: indexes that keep a history run proportional to the change, not the history.
    The next run looks up current rows by key and closes rows by historikk_id (dbt's merge joins on it). -#}
{%- macro history_indexes() -%}
    {{ return(adapter.dispatch('history_indexes')()) }}
{%- endmacro -%}

{%- macro default__history_indexes() -%}
    {#- DuckDB scans columnar data fast and its indexes slow down updates; BigQuery clusters instead -#}
{%- endmacro -%}

{%- macro postgres__history_indexes() -%}
    {%- set key = config.get('unique_key') -%}
    {%- set keys = key if key is not string else [key] -%}
    create index if not exists {{ this.identifier }}__gjeldende on {{ this }} ({{ keys | join(', ') }}, gyldig_til);
    create index if not exists {{ this.identifier }}__historikk_id on {{ this }} (historikk_id);
    create index if not exists {{ this.identifier }}__gyldig_fra on {{ this }} (gyldig_fra)
{%- endmacro -%}
