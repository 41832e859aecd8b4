{#- The clock of a snapshot run: SNAPSHOT_SCENARIOS_TIME, so both twins of a step stamp the same times and hash
    the same ids, and their tables compare exactly. An environment variable, not a var: a new var makes dbt parse
    the whole project again each step. Overrides dbt's macro of this name (and so the template's per-engine
    clocks). -#}
{%- macro snapshot_get_time() -%}
    cast('{{ env_var("SNAPSHOT_SCENARIOS_TIME") }}' as {{ dbt.type_timestamp() }})
{%- endmacro -%}
