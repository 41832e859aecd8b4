{#- The "valid to" of current history rows: a far-future time, so "current" is a plain comparison. -#}
{%- macro far_future() -%}
    cast('9999-12-31' as {{ dbt.type_timestamp() }})
{%- endmacro -%}
