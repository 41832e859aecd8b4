{#- Every key has exactly one current row (gyldig_til = far future): its live version or its deletion row.
    Two current rows mean a duplicate; none means a closed row was never followed. Returns every offending key. -#}
{%- test history_one_current_row(model, key, valid_to='gyldig_til') -%}
    select
        {{ key }} as noekkel,
        sum(case when {{ valid_to }} = {{ far_future() }} then 1 else 0 end) as gjeldende_rader,
        'a key has exactly one current row (gyldig_til = 9999-12-31)' as regel
    from {{ model }}
    group by {{ key }}
    having sum(case when {{ valid_to }} = {{ far_future() }} then 1 else 0 end) != 1
{%- endtest -%}
