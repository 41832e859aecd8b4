{#- The changes a history run writes, found with one comparison of the source with the current history rows.

    dbt's own staging query joins the whole source with the current rows four times (inserts, updates, deletes,
    deletion rows) and hashes every source row. Here one join finds the keys that are new, changed, re-inserted
    after a deletion, or deleted; everything after it (hashes, the rows to close, the deletion rows) works on those
    changed keys only. The rows produced are dbt's: the same inserts (every column, time and id) and the same rows to
    close (id and valid-to; a 'delete' row also carries the closed version's values, which dbt's merge doesn't
    read), for any strategy, so dbt's merge writes them unchanged (tests/test_history_snapshot_scenarios.py). Used
    with hard_deletes: new_record, which every history here has; any other setting falls back to dbt's query.

    An archive load (var historikk_arkiv) records many accumulated deliveries at once instead:
    history_archive_staging_table.

    Two kinds of source (history_deleted_when):
    - full extracts (the default): every key in every extract; a full outer join of source and current rows, and a
      key missing from the source is deleted;
    - changes (meta.history_source: changes): only the keys that changed, a deleted key flagged by
      meta.deleted_when; only the current rows of those keys are read, so a run costs in proportion to the change.
-#}
{%- macro default__snapshot_staging_table(strategy, source_sql, target_relation) -%}
    {%- if strategy.hard_deletes != 'new_record' -%}
        {{ return(dbt.default__snapshot_staging_table(strategy, source_sql, target_relation)) }}
    {%- endif -%}
    {%- if var('historikk_arkiv', false) -%}
        {{ return(history_archive_staging_table(strategy, source_sql, target_relation)) }}
    {%- endif -%}
    {%- set columns = config.get('snapshot_table_column_names') or get_snapshot_table_column_names() -%}
    {%- set current = config.get('dbt_valid_to_current') -%}
    {%- set source_columns = get_columns_in_query(source_sql) -%}
    {%- set history_columns = get_list_of_column_names(get_columns_in_relation(target_relation)) -%}
    {%- set key_names = history_key_names(strategy.unique_key, 'dbt_unique_key') -%}
    {%- set gone_names = history_key_names(strategy.unique_key, 'dbt_gone_key') -%}
    {#- a staging row starts with the source's columns, then the key fields (dbt's order) -#}
    {%- set row_columns = [] -%}
    {%- for name in source_columns -%}
        {%- do row_columns.append(adapter.quote(name)) -%}
    {%- endfor -%}
    {%- do row_columns.extend(key_names) -%}
    {#- a new version's time, computed in changed_source -#}
    {%- set new_updated_at = 'source_data.' ~ columns.dbt_updated_at -%}
    {%- set new_scd_id = snapshot_hash_arguments([columns.dbt_scd_id, snapshot_get_time()]) -%}
    {%- set deleted_when = history_deleted_when() -%}

    with snapshot_query as (

        {{ source_sql }}

    ),

    source_rows as (

        select
            *,
            {%- if deleted_when %}
            coalesce(({{ deleted_when }}), false) as dbt_source_deleted,
            {%- endif %}
            {{ unique_key_fields(strategy.unique_key) }}
        from snapshot_query

    ),

    snapshotted_data as (

        {%- set is_current -%}
            {%- if current -%}
            ( {{ equals(columns.dbt_valid_to, current | trim) }} or {{ columns.dbt_valid_to }} is null )
            {%- else -%}
            {{ columns.dbt_valid_to }} is null
            {%- endif -%}
        {%- endset %}
        {%- if deleted_when %}
        {{ history_current_rows_of_changes(target_relation, is_current, strategy.unique_key) }}
        {%- else %}
        select *, {{ unique_key_fields(strategy.unique_key) }}
        from {{ target_relation }}
        where {{ is_current }}
        {%- endif %}

    ),

    -- the one pass: a source row that is new, changed or back after a deletion, or a live current row whose key is
    -- gone (then only its key is kept, in dbt_gone_key). Full extracts: every source row against every current
    -- row, a key missing from the source is gone. Changes: the changes against their keys' current rows, a key is
    -- gone when its row deletes it.
    {%- set source_gone -%}
        {%- if deleted_when -%}
        source_data.dbt_source_deleted
        {%- else -%}
        {{ unique_key_is_null(strategy.unique_key, 'source_data') }}
        {%- endif -%}
    {%- endset %}
    compared as (

        select
            {%- for name in source_columns %}
            source_data.{{ adapter.quote(name) }},
            {%- endfor %}
            {%- for name in key_names %}
            case when not ({{ source_gone }}) then source_data.{{ name }} end as {{ name }},
            {%- endfor %}
            {%- for name in key_names %}
            case when {{ source_gone }} then snapshotted_data.{{ name }} end
                as {{ gone_names[loop.index0] }}{{ ',' if not loop.last }}
            {%- endfor %}
        from source_rows as source_data
        {{ 'left' if deleted_when else 'full outer' }} join snapshotted_data
            on {{ unique_key_join_on(strategy.unique_key, 'snapshotted_data', 'source_data') }}
        where (
                not ({{ source_gone }})
                and (
                    {{ unique_key_is_null(strategy.unique_key, 'snapshotted_data') }}
                    or snapshotted_data.{{ columns.dbt_is_deleted }} = 'True'
                    or {{ strategy.row_changed }}
                )
            )
            or (
                {{ source_gone }}
                and {{ unique_key_is_not_null(strategy.unique_key, 'snapshotted_data') }}
                and coalesce(snapshotted_data.{{ columns.dbt_is_deleted }}, 'False') != 'True'
            )

    ),

    -- the new versions, with the strategy's time and id computed from the source row alone, as dbt computes them:
    -- strategy.updated_at and strategy.scd_id name source columns unqualified (e.g. updated_at), and the history
    -- has the same columns, so they can't be evaluated where the history is joined in (updates)
    changed_source as (

        select
            {{ row_columns | join(', ') }},
            {{ strategy.updated_at }} as {{ columns.dbt_updated_at }},
            {{ strategy.scd_id }} as {{ columns.dbt_scd_id }}
        from compared
        where {{ key_names[0] }} is not null

    ),

    -- current rows of the changed keys: closed by the new version
    touched as (

        select snapshotted_data.*
        from snapshotted_data
        join changed_source
            on {{ unique_key_join_on(strategy.unique_key, 'snapshotted_data', 'changed_source') }}

    ),

    -- current rows of the keys gone from the source: closed, and followed by a deletion row
    gone as (

        select
            {%- for name in source_columns %}
            {{ 'snapshotted_data' if name in history_columns else 'compared' }}.{{ adapter.quote(name) }},
            {%- endfor %}
            {%- for name in key_names %}
            snapshotted_data.{{ name }},
            {%- endfor %}
            snapshotted_data.{{ columns.dbt_valid_to }},
            snapshotted_data.{{ columns.dbt_scd_id }},
            snapshotted_data.{{ columns.dbt_is_deleted }}
        from compared
        join snapshotted_data
            on {% for name in key_names -%}
                {{ equals('snapshotted_data.' ~ name, 'compared.' ~ gone_names[loop.index0]) }}
                {%- if not loop.last %} and {% endif %}
            {%- endfor %}
        where compared.{{ key_names[0] }} is null

    ),

    insertions as (

        select
            'insert' as dbt_change_type,
            {%- for name in row_columns %}
            source_data.{{ name }},
            {%- endfor %}
            {{ new_updated_at }},
            {{ new_updated_at }} as {{ columns.dbt_valid_from }},
            {{ get_dbt_valid_to_current({'updated_at': new_updated_at}, columns) }},
            source_data.{{ columns.dbt_scd_id }},
            'False' as {{ columns.dbt_is_deleted }}
        from changed_source as source_data

    ),

    updates as (

        select
            'update' as dbt_change_type,
            {%- for name in row_columns %}
            source_data.{{ name }},
            {%- endfor %}
            {{ new_updated_at }},
            {{ new_updated_at }} as {{ columns.dbt_valid_from }},
            {{ new_updated_at }} as {{ columns.dbt_valid_to }},
            snapshotted_data.{{ columns.dbt_scd_id }},
            snapshotted_data.{{ columns.dbt_is_deleted }}
        from changed_source as source_data
        join touched as snapshotted_data
            on {{ unique_key_join_on(strategy.unique_key, 'snapshotted_data', 'source_data') }}

    ),

    deletes as (

        select
            'delete' as dbt_change_type,
            {%- for name in row_columns %}
            gone.{{ name }},
            {%- endfor %}
            {{ snapshot_get_time() }} as {{ columns.dbt_updated_at }},
            {{ snapshot_get_time() }} as {{ columns.dbt_valid_from }},
            {{ snapshot_get_time() }} as {{ columns.dbt_valid_to }},
            gone.{{ columns.dbt_scd_id }},
            gone.{{ columns.dbt_is_deleted }}
        from gone

    ),

    deletion_records as (

        select
            'insert' as dbt_change_type,
            {%- for name in row_columns %}
            gone.{{ name }},
            {%- endfor %}
            {{ snapshot_get_time() }} as {{ columns.dbt_updated_at }},
            {{ snapshot_get_time() }} as {{ columns.dbt_valid_from }},
            gone.{{ columns.dbt_valid_to }},
            {{ new_scd_id }} as {{ columns.dbt_scd_id }},
            'True' as {{ columns.dbt_is_deleted }}
        from gone

    )

    select * from insertions
    union all
    select * from updates
    union all
    select * from deletes
    union all
    select * from deletion_records
{%- endmacro -%}


{#- The names of the key columns dbt adds to a snapshot's staging rows: `prefix` for one key, prefix_1, prefix_2 ...
    for a list (as dbt's unique_key_fields). -#}
{%- macro history_key_names(unique_key, prefix) -%}
    {%- if unique_key is string -%}
        {{ return([prefix]) }}
    {%- endif -%}
    {%- set names = [] -%}
    {%- for key in unique_key -%}
        {%- do names.append(prefix ~ '_' ~ loop.index) -%}
    {%- endfor -%}
    {{ return(names) }}
{%- endmacro -%}
