{#- No two rows of a key start at the same time: (key, gyldig_fra) identifies a version. -#}
{%- test history_unique_valid_from(model, key, valid_from='gyldig_fra') -%}
    select
        {{ key }} as noekkel,
        {{ valid_from }} as gyldig_fra,
        count(*) as rader,
        '(key, gyldig_fra) is unique' as regel
    from {{ model }}
    group by {{ key }}, {{ valid_from }}
    having count(*) > 1
{%- endtest -%}
