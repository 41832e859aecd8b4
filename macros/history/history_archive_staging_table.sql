{#- The changes of many dated full extracts at once: the staging query of an archive load (var historikk_arkiv).

    The loader has put the staged rows of every delivery of the archive beside the history, in <history>__arkiv,
    each with its delivery time (dbt_leveringstidspunkt). Instead of one comparison per delivery, one pass finds
    every version: the rows are grouped by key and the values of the compared columns, and a group that spans an
    unbroken run of deliveries is one version (it starts at the run's first delivery, and ends where the run ends:
    replaced by the next run of the key, or deleted when the key is missing from the next delivery). The few keys
    whose values came back after a change, or whose key came back after a deletion with the same values, have
    their rows split into unbroken runs first. The history's current rows count as the delivery before the first
    (number 0), so an archive continues a history.

    The rows returned are those the one-by-one runs would have written, delivery after delivery (same values,
    times and ids; tests/test_history_deliveries.py compares the two): new versions and deletion rows with their
    final gyldig_til, and the history's current rows that the archive closes. dbt's merge writes them unchanged.
    Deliveries not newer than the history's newest version are left out, so a run that stopped part-way is
    simply run again. Full extracts with the check strategy only; the loader records other histories delivery by
    delivery. -#}
{%- macro history_archive_staging_table(strategy, source_sql, target_relation) -%}
    {%- set columns = config.get('snapshot_table_column_names') or get_snapshot_table_column_names() -%}
    {%- set current = config.get('dbt_valid_to_current') -%}
    {%- set archive = adapter.get_relation(database=target_relation.database, schema=target_relation.schema,
                                           identifier=target_relation.identifier ~ '__arkiv') -%}
    {%- if archive is none or config.get('strategy') != 'check' or history_deleted_when() -%}
        {{ exceptions.raise_compiler_error(
            model.name ~ ": an archive load records full extracts with the check strategy, from "
            ~ target_relation.identifier ~ "__arkiv; this history has none, or is of another kind: load its "
            ~ "deliveries one by one (`dataprodukt load --from FOLDER --one-by-one`).") }}
    {%- endif -%}
    {%- set keys = [strategy.unique_key] if strategy.unique_key is string else strategy.unique_key -%}
    {%- set key_names = keys | map('lower') | list -%}
    {%- set check_cols = config.get('check_cols') -%}
    {%- set source_columns = get_columns_in_query(source_sql) -%}
    {%- set history_columns = get_list_of_column_names(get_columns_in_relation(target_relation)) | map('lower') | list -%}
    {#- the columns a version is told apart by (keys first), and the others, taken from the version's first row -#}
    {%- set grouped = [] -%}
    {%- set carried = [] -%}
    {%- for name in source_columns -%}
        {%- if name | lower not in history_columns -%}
            {{ exceptions.raise_compiler_error(
                model.name ~ ": column " ~ name ~ " is not in the history yet: record one delivery alone first "
                ~ "(the loader does so), then the archive.") }}
        {%- endif -%}
        {%- if check_cols == 'all' or name | lower in key_names or name | lower in (check_cols | map('lower') | list) -%}
            {%- do grouped.append(adapter.quote(name)) -%}
        {%- else -%}
            {%- do carried.append(adapter.quote(name)) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set all_columns = [] -%}
    {%- for name in source_columns -%}{%- do all_columns.append(adapter.quote(name)) -%}{%- endfor -%}
    {%- set is_current -%}
        {%- if current -%}{{ columns.dbt_valid_to }} = {{ current }}{%- else -%}{{ columns.dbt_valid_to }} is null{%- endif -%}
    {%- endset -%}
    {%- set open_to = current if current else 'cast(null as ' ~ dbt.type_timestamp() ~ ')' -%}
    {%- set key_match -%}
        {%- for key in keys %}{{ 'left_side' }}.{{ key }} = right_side.{{ key }}{{ ' and ' if not loop.last }}{% endfor -%}
    {%- endset -%}

    with

    -- the archive's deliveries the history doesn't hold yet, numbered in time order from 1
    deliveries as (

        select
            archived.dbt_leveringstidspunkt as delivered_at,
            row_number() over (order by archived.dbt_leveringstidspunkt) as delivery_nr
        from (select distinct dbt_leveringstidspunkt from {{ archive }}) as archived
        cross join (select max({{ columns.dbt_valid_from }}) as newest from {{ target_relation }}) as history
        where history.newest is null or archived.dbt_leveringstidspunkt > history.newest

    ),

    current_rows as (

        select * from {{ target_relation }} where {{ is_current }}

    ),

    -- every key in every delivery; delivery 0 is the history's live current rows (with their ids)
    present as (

        select
            0 as delivery_nr,
            {%- for name in all_columns %}
            {{ name }},
            {%- endfor %}
            {{ columns.dbt_scd_id }} as dbt_version_id
        from current_rows
        where {{ columns.dbt_is_deleted }} = 'False'

        union all

        select
            deliveries.delivery_nr,
            {%- for name in all_columns %}
            archived.{{ name }},
            {%- endfor %}
            cast(null as {{ dbt.type_string() }}) as dbt_version_id
        from {{ archive }} as archived
        join deliveries on archived.dbt_leveringstidspunkt = deliveries.delivered_at

    ),

    -- one row per key and compared values: the deliveries that held them, and the other columns of the first
    runs as (

        select
            {%- for name in grouped %}
            {{ name }},
            {%- endfor %}
            {%- for name in carried %}
            {{ history_first_by(name, 'delivery_nr') }} as {{ name }},
            {%- endfor %}
            {{ history_first_by('dbt_version_id', 'delivery_nr') }} as dbt_version_id,
            min(delivery_nr) as first_nr,
            max(delivery_nr) as last_nr,
            count(*) as deliveries_held
        from present
        group by {{ grouped | join(', ') }}

    ),

    -- a key is irregular when one of its runs has a gap: the same values again after a change or a deletion
    marked as (

        select
            runs.*,
            max(case when deliveries_held <> last_nr - first_nr + 1 then 1 else 0 end)
                over (partition by {{ keys | join(', ') }}) as is_irregular
        from runs

    ),

    irregular_keys as (

        select distinct {{ keys | join(', ') }} from marked where is_irregular = 1

    ),

    -- the irregular keys' rows split into unbroken runs (a run's delivery numbers less their rank is constant)
    irregular_runs as (

        select
            {%- for name in grouped %}
            {{ name }},
            {%- endfor %}
            {%- for name in carried %}
            {{ history_first_by(name, 'delivery_nr') }} as {{ name }},
            {%- endfor %}
            {{ history_first_by('dbt_version_id', 'delivery_nr') }} as dbt_version_id,
            min(delivery_nr) as first_nr,
            max(delivery_nr) as last_nr
        from (
            select
                left_side.*,
                left_side.delivery_nr - row_number() over (
                    partition by {{ grouped | join(', ') }}
                    order by left_side.delivery_nr
                ) as island
            from present as left_side
            where exists (select 1 from irregular_keys as right_side where {{ key_match }})
        ) as split
        group by {{ grouped | join(', ') }}, island

    ),

    versions as (

        select {{ all_columns | join(', ') }}, dbt_version_id, first_nr, last_nr from marked where is_irregular = 0
        union all
        select {{ all_columns | join(', ') }}, dbt_version_id, first_nr, last_nr from irregular_runs

    ),

    -- each version with the times it starts and ends, and when its key is next present
    timed as (

        select
            ordered.*,
            started.delivered_at as started_at,
            ended.delivered_at as ended_at,
            came_back.delivered_at as back_at
        from (
            select
                versions.*,
                lead(first_nr) over (partition by {{ keys | join(', ') }} order by first_nr) as next_first_nr,
                row_number() over (partition by {{ keys | join(', ') }} order by first_nr) as nth_version
            from versions
        ) as ordered
        left join deliveries as started on started.delivery_nr = ordered.first_nr
        left join deliveries as ended on ended.delivery_nr = ordered.last_nr + 1
        left join deliveries as came_back on came_back.delivery_nr = ordered.next_first_nr

    ),

    identified as (

        select
            timed.*,
            case
                when first_nr = 0 then dbt_version_id
                else {{ snapshot_hash_arguments(api.Relation.scd_args(strategy.unique_key, 'started_at')) }}
            end as version_id
        from timed

    )

    -- new versions, closed where the archive replaces or deletes them
    select
        'insert' as dbt_change_type,
        {%- for name in all_columns %}
        {{ name }},
        {%- endfor %}
        started_at as {{ columns.dbt_updated_at }},
        started_at as {{ columns.dbt_valid_from }},
        coalesce(ended_at, {{ open_to }}) as {{ columns.dbt_valid_to }},
        version_id as {{ columns.dbt_scd_id }},
        'False' as {{ columns.dbt_is_deleted }}
    from identified
    where first_nr > 0

    union all

    -- deletion rows: the version's values, from the first delivery that misses the key until it comes back
    select
        'insert' as dbt_change_type,
        {%- for name in all_columns %}
        {{ name }},
        {%- endfor %}
        ended_at as {{ columns.dbt_updated_at }},
        ended_at as {{ columns.dbt_valid_from }},
        coalesce(back_at, {{ open_to }}) as {{ columns.dbt_valid_to }},
        {{ snapshot_hash_arguments(['version_id', 'ended_at']) }} as {{ columns.dbt_scd_id }},
        'True' as {{ columns.dbt_is_deleted }}
    from identified
    where ended_at is not null and (next_first_nr is null or next_first_nr > last_nr + 1)

    union all

    -- the history's live current rows the archive replaces or deletes
    select
        'update' as dbt_change_type,
        {%- for name in all_columns %}
        {{ name }},
        {%- endfor %}
        ended_at as {{ columns.dbt_updated_at }},
        ended_at as {{ columns.dbt_valid_from }},
        ended_at as {{ columns.dbt_valid_to }},
        version_id as {{ columns.dbt_scd_id }},
        'False' as {{ columns.dbt_is_deleted }}
    from identified
    where first_nr = 0 and ended_at is not null

    union all

    -- the history's current deletion rows of keys the archive brings back
    select
        'update' as dbt_change_type,
        {%- for name in all_columns %}
        left_side.{{ name }},
        {%- endfor %}
        right_side.started_at as {{ columns.dbt_updated_at }},
        right_side.started_at as {{ columns.dbt_valid_from }},
        right_side.started_at as {{ columns.dbt_valid_to }},
        left_side.{{ columns.dbt_scd_id }},
        'True' as {{ columns.dbt_is_deleted }}
    from current_rows as left_side
    join identified as right_side on {{ key_match }}
    where left_side.{{ columns.dbt_is_deleted }} = 'True' and right_side.nth_version = 1
{%- endmacro -%}
