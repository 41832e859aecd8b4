{#- Pre-hook for every history: check the source before the snapshot writes anything.
    1. Every key is present and unique (history_guard_keys). The loader checks every history's source before the
       first history run of a delivery (load/histories.py) and says so with the var leveranse_kontrollert; a plain
       dbt run checks here.
    2. A delivery older than the newest version in the history is refused (history_delivery_order).
    3. A column whose type grew (integer to bigint/numeric/float, a numeric with more digits) is widened in the
       history first: dbt widens only text columns and would otherwise round the new values into the old type.
    4. The hook's SQL takes a lock on the history (history_lock): concurrent runs take turns, none adds a
       version twice; then the run's settings (history_run_settings). -#}
{%- macro history_guard() -%}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {#- a wrong meta.history_source / deleted_when is named before anything runs -#}
    {%- do history_deleted_when() -%}
    {%- if not var('leveranse_kontrollert', false) -%}
        {%- do history_guard_keys() -%}
    {%- endif -%}
    {%- do history_delivery_order() -%}
    {%- do history_widen_columns() -%}
    {{ return([history_lock(), history_run_settings()] | map('trim') | select | join(';\n')) }}
{%- endmacro -%}
