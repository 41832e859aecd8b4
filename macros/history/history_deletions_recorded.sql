{#- Deletions are rows, and they are where they belong. Offenders, each with the rule it breaks:
    - a key gone from the source whose current row is live (the deletion was not recorded);
    - a key in the source whose current row is a deletion (the re-insert was not recorded);
    - a deletion row that does not close a live version (no live row of the key ends when it starts).
    `source` is the relation the history records (its staging model). -#}
{%- test history_deletions_recorded(model, key, source, valid_from='gyldig_fra', valid_to='gyldig_til',
                                    deleted='er_slettet') -%}
    with

    history as (

        select * from {{ model }}

    ),

    source_keys as (

        select distinct {{ key }} as noekkel from {{ source }}

    ),

    current_rows as (

        select * from history where {{ valid_to }} = {{ far_future() }}

    ),

    unrecorded_deletions as (

        select
            current_rows.{{ key }} as noekkel,
            current_rows.{{ valid_from }} as gyldig_fra,
            'a key gone from the source has a deletion row as its current row' as regel
        from current_rows
        left join source_keys on current_rows.{{ key }} = source_keys.noekkel
        where source_keys.noekkel is null and current_rows.{{ deleted }} = 'False'

    ),

    unrecorded_reinserts as (

        select
            current_rows.{{ key }} as noekkel,
            current_rows.{{ valid_from }} as gyldig_fra,
            'a key in the source has a live current row, not a deletion row' as regel
        from current_rows
        inner join source_keys on current_rows.{{ key }} = source_keys.noekkel
        where current_rows.{{ deleted }} = 'True'

    ),

    orphan_deletions as (

        select
            deletion.{{ key }} as noekkel,
            deletion.{{ valid_from }} as gyldig_fra,
            'a deletion row closes a live version of its key' as regel
        from history as deletion
        left join history as closed
            on
                closed.{{ key }} = deletion.{{ key }}
                and closed.{{ valid_to }} = deletion.{{ valid_from }}
                and closed.{{ deleted }} = 'False'
        where deletion.{{ deleted }} = 'True' and closed.{{ key }} is null

    )

    select * from unrecorded_deletions
    union all
    select * from unrecorded_reinserts
    union all
    select * from orphan_deletions
{%- endtest -%}
