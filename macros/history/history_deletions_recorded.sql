{#- Deletions are rows, and they are where they belong. Offenders, each with the rule it breaks:
    - a key gone from the source whose current row is live (the deletion was not recorded);
    - a key in the source whose current row is a deletion (the re-insert was not recorded);
    - a deletion row that does not close a live version (no live row of the key ends when it starts).
    `source` is the relation the history records (its staging model). For a source of changes (meta.history_source:
    changes) give its `deleted_when` too: then a key is gone when its latest change deletes it, and in the source
    when its latest change does not. -#}
{%- test history_deletions_recorded(model, key, source, valid_from='gyldig_fra', valid_to='gyldig_til',
                                    deleted='er_slettet', deleted_when=none) -%}
    {#- every join is uncorrelated (a join or `in`), so each engine plans one hash join per check; a correlated
        (not) exists over every current row made DuckDB first collect the distinct keys of all of them. The current
        rows are joined to the source once, for both of the first two rules: a second join, or a CTE of the current
        rows read twice (which DuckDB materialises), costs another pass over every current row -#}
    with

    {#- a source of full extracts: a key is gone when it is absent. A source of changes: gone when its latest change
        deletes it, and in the source when its latest change does not (keys absent from the changes: not checked) #}
    {%- set gone = "source_rows.noekkel is not null and source_rows.sletter" if deleted_when
        else "source_rows.noekkel is null" %}
    {%- set present = "source_rows.noekkel is not null and not source_rows.sletter" if deleted_when
        else "source_rows.noekkel is not null" %}

    unrecorded_changes as (

        select
            current_rows.{{ key }} as noekkel,
            current_rows.{{ valid_from }} as gyldig_fra,
            case
                when current_rows.{{ deleted }} = 'False'
                    then 'a key gone from the source has a deletion row as its current row'
                else 'a key in the source has a live current row, not a deletion row'
            end as regel
        from {{ model }} as current_rows
        left join (
            {#- a subquery: deleted_when names the source's columns, which the history has too #}
            select
                {{ key }} as noekkel
                {%- if deleted_when %},
                coalesce(({{ deleted_when }}), false) as sletter
                {%- endif %}
            from {{ source }}
        ) as source_rows
            on current_rows.{{ key }} = source_rows.noekkel
        where current_rows.{{ valid_to }} = {{ far_future() }}
            and (
                (current_rows.{{ deleted }} = 'False' and {{ gone }})
                or (current_rows.{{ deleted }} = 'True' and {{ present }})
            )

    ),

    deletion_rows as (

        select {{ key }}, {{ valid_from }} from {{ model }} where {{ deleted }} = 'True'

    ),

    live_rows_of_deleted_keys as (

        {#- the only rows a deletion row can close; found by the keys of the deletion rows first, so the test costs
            in proportion to the deletions, not to the history (a history just built has none) #}
        select {{ key }}, {{ valid_to }}
        from {{ model }}
        where {{ deleted }} = 'False'
            and {{ key }} in (select {{ key }} from deletion_rows)

    ),

    orphan_deletions as (

        select
            deletion_rows.{{ key }} as noekkel,
            deletion_rows.{{ valid_from }} as gyldig_fra,
            'a deletion row closes a live version of its key' as regel
        from deletion_rows
        where not exists (
            select 1 from live_rows_of_deleted_keys as closed
            where closed.{{ key }} = deletion_rows.{{ key }}
                and closed.{{ valid_to }} = deletion_rows.{{ valid_from }}
        )

    )

    select * from unrecorded_changes
    union all
    select * from orphan_deletions
{%- endtest -%}
