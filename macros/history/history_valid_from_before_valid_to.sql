{#- Every row's interval is a real one: gyldig_fra and gyldig_til are set and gyldig_fra < gyldig_til.
    A reversed interval means two clocks were mixed (e.g. source time and run time). -#}
{%- test history_valid_from_before_valid_to(model, valid_from='gyldig_fra', valid_to='gyldig_til') -%}
    select
        *,
        'gyldig_fra is before gyldig_til' as regel
    from {{ model }}
    where {{ valid_from }} is null
        or {{ valid_to }} is null
        or not ({{ valid_from }} < {{ valid_to }})
{%- endtest -%}
