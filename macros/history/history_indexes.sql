{#- Post-hook for every history: indexes that keep a history run proportional to the change, not the history.
    The next run looks up current rows by key and closes rows by historikk_id (dbt's merge joins on it).
    On PostgreSQL a history that has never been analyzed (just built) is analyzed once, so that the next run,
    which may come before autovacuum does, looks its keys up in the index instead of scanning every row. -#}
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
    create index if not exists {{ this.identifier }}__gyldig_fra on {{ this }} (gyldig_fra);
    do $$ begin
        if (select coalesce(last_analyze, last_autoanalyze) is null from pg_stat_user_tables
            where relid = '{{ this }}'::regclass) then
            analyze {{ this }};
        end if;
    end $$
{%- endmacro -%}
