{#- Deletions are rows, and they are where they belong. Offenders, each with the rule it breaks:
    - a key gone from the source whose current row is live (the deletion was not recorded);
    - a key in the source whose current row is a deletion (the re-insert was not recorded);
    - a deletion row that does not close a live version (no live row of the key ends when it starts).
    `source` is the relation the history records (its staging model). For a source of changes (meta.history_source:
    changes) give its `deleted_when` too: then a key is gone when its latest change deletes it, and in the source
    when its latest change does not. -#}
{%- test history_deletions_recorded(model, key, source, valid_from='gyldig_fra', valid_to='gyldig_til',
                                    deleted='er_slettet', deleted_when=none) -%}
    {#- written with (not) exists: anti-joins that every engine plans as hash joins on large histories -#}
    with

    current_rows as (

        select * from {{ model }} where {{ valid_to }} = {{ far_future() }}

    ),

    unrecorded_deletions as (

        select
            current_rows.{{ key }} as noekkel,
            current_rows.{{ valid_from }} as gyldig_fra,
            'a key gone from the source has a deletion row as its current row' as regel
        from current_rows
        where current_rows.{{ deleted }} = 'False'
            {%- if deleted_when %}
            and exists (
                select 1 from {{ source }} as source_rows
                where source_rows.{{ key }} = current_rows.{{ key }} and coalesce(({{ deleted_when }}), false)
            )
            {%- else %}
            and not exists (
                select 1 from {{ source }} as source_rows where source_rows.{{ key }} = current_rows.{{ key }}
            )
            {%- endif %}

    ),

    unrecorded_reinserts as (

        select
            current_rows.{{ key }} as noekkel,
            current_rows.{{ valid_from }} as gyldig_fra,
            'a key in the source has a live current row, not a deletion row' as regel
        from current_rows
        where current_rows.{{ deleted }} = 'True'
            and exists (
                select 1 from {{ source }} as source_rows
                where source_rows.{{ key }} = current_rows.{{ key }}
                {%- if deleted_when %} and not coalesce(({{ deleted_when }}), false){% endif %}
            )

    ),

    orphan_deletions as (

        select
            deletion.{{ key }} as noekkel,
            deletion.{{ valid_from }} as gyldig_fra,
            'a deletion row closes a live version of its key' as regel
        from {{ model }} as deletion
        where deletion.{{ deleted }} = 'True'
            and not exists (
                select 1 from {{ model }} as closed
                where closed.{{ key }} = deletion.{{ key }}
                    and closed.{{ valid_to }} = deletion.{{ valid_from }}
                    and closed.{{ deleted }} = 'False'
            )

    )

    select * from unrecorded_deletions
    union all
    select * from unrecorded_reinserts
    union all
    select * from orphan_deletions
{%- endtest -%}
