{#- The rows of a history (snapshot) that hold now: not closed and not a deletion. -#}
{%- macro current_rows(history_relation) -%}
    select * from {{ history_relation }}
    where gyldig_til = {{ far_future() }} and er_slettet = 'False'
{%- endmacro -%}
