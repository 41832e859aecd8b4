{#- A key's validity intervals [gyldig_fra, gyldig_til) never overlap: each version ends no later than the
    next one starts. Returns every row whose successor starts before it ends. -#}
{%- test history_no_overlap(model, key, valid_from='gyldig_fra', valid_to='gyldig_til') -%}
    with

    ordered as (

        select
            {{ key }} as noekkel,
            {{ valid_from }} as gyldig_fra,
            {{ valid_to }} as gyldig_til,
            lead({{ valid_from }}) over (
                partition by {{ key }} order by {{ valid_from }}, {{ valid_to }}
            ) as neste_gyldig_fra
        from {{ model }}

    )

    select
        noekkel,
        gyldig_fra,
        gyldig_til,
        neste_gyldig_fra,
        'validity intervals of a key do not overlap' as regel
    from ordered
    where neste_gyldig_fra < gyldig_til
{%- endtest -%}
