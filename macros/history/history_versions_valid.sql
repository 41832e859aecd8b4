{#- The versions of every key are well formed. Offenders, each with the rule it breaks (column regel):
    - a key without exactly one current row (gyldig_til = far future: its live version or its deletion row); two
      mean a duplicate, none a closed row never followed;
    - a row whose interval is not a real one: gyldig_fra or gyldig_til empty, or gyldig_fra >= gyldig_til (two
      clocks mixed, e.g. source time and run time);
    - a version that starts before the previous version of its key ended (intervals [gyldig_fra, gyldig_til) overlap);
    - two versions of a key that start at the same time ((key, gyldig_fra) identifies a version).
    One test, one pass over the history: one group by on the key answers the first two rules, and only a key with
    two or more rows can overlap itself or repeat a gyldig_fra, so only those keys' rows are ordered (a history just
    built has none). They are found by an equality join, not `key in (subquery) or key is null`: PostgreSQL runs
    that as a subplan per row once the keys outgrow work_mem (minutes at 1 M keys). Four tests made four passes,
    three of them a group by or a sort of the whole history. -#}
{%- test history_versions_valid(model, key, valid_from='gyldig_fra', valid_to='gyldig_til') -%}
    with

    per_key as (

        select
            {{ key }} as noekkel,
            count(*) as rader,
            sum(case when {{ valid_to }} = {{ far_future() }} then 1 else 0 end) as gjeldende_rader,
            sum(
                case
                    when {{ valid_from }} is null or {{ valid_to }} is null or not ({{ valid_from }} < {{ valid_to }})
                        then 1
                    else 0
                end
            ) as tomme_intervaller
        from {{ model }}
        group by {{ key }}

    ),

    several_rows as (

        select noekkel from per_key where rader > 1

    ),

    ordered as (

        select
            history.{{ key }} as noekkel,
            history.{{ valid_from }} as gyldig_fra,
            history.{{ valid_to }} as gyldig_til,
            lead(history.{{ valid_from }}) over (
                partition by history.{{ key }} order by history.{{ valid_from }}, history.{{ valid_to }}
            ) as neste_gyldig_fra
        from {{ model }} as history
        left join several_rows on history.{{ key }} = several_rows.noekkel
        where several_rows.noekkel is not null
            or history.{{ key }} is null

    )

    select
        noekkel,
        cast(null as {{ dbt.type_timestamp() }}) as gyldig_fra,
        'a key has exactly one current row (gyldig_til = 9999-12-31)' as regel
    from per_key
    where gjeldende_rader != 1

    union all

    select
        noekkel,
        cast(null as {{ dbt.type_timestamp() }}) as gyldig_fra,
        'gyldig_fra is before gyldig_til' as regel
    from per_key
    where tomme_intervaller > 0

    union all

    select
        noekkel,
        gyldig_fra,
        'validity intervals of a key do not overlap' as regel
    from ordered
    where neste_gyldig_fra < gyldig_til

    union all

    select
        noekkel,
        gyldig_fra,
        '(key, gyldig_fra) is unique' as regel
    from ordered
    where neste_gyldig_fra = gyldig_fra
{%- endtest -%}
