{#- SQL for the history guard's hook, after the lock: settings for the rest of the history run's transaction.
    PostgreSQL: no JIT compilation. A history run is a handful of joins on the changed keys, whose row counts the
    planner can't estimate through the staging query's CTEs; it then expects billions of rows and spends most of a
    small run compiling (measured: 0.7 s of a 1.7 s run on a 1-million-row history). -#}
{%- macro history_run_settings() -%}
    {{ return(adapter.dispatch('history_run_settings')()) }}
{%- endmacro -%}

{%- macro default__history_run_settings() -%}
{%- endmacro -%}

{%- macro postgres__history_run_settings() -%}
    set local jit = off
{%- endmacro -%}
