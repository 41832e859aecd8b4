{#- For a source of changes: the current history rows of the keys in the changes (CTE source_rows, with dbt's
    dbt_unique_key fields), with those key fields added. Reads the history's key and gyldig_til, not its past. -#}
{%- macro history_current_rows_of_changes(history, is_current, unique_key) -%}
    {{ return(adapter.dispatch('history_current_rows_of_changes')(history, is_current, unique_key)) }}
{%- endmacro -%}

{%- macro history_changed_keys_filter(unique_key) -%}
    {%- set keys = [unique_key] if unique_key is string else unique_key -%}
    exists (
        select 1 from source_rows
        where
        {%- for name in history_key_names(unique_key, 'dbt_unique_key') %}
            source_rows.{{ name }} = history_rows.{{ keys[loop.index0] }}
            {%- if not loop.last %} and {% endif %}
        {%- endfor %}
    )
{%- endmacro -%}

{%- macro default__history_current_rows_of_changes(history, is_current, unique_key) -%}
        select *, {{ unique_key_fields(unique_key) }}
        from {{ history }} as history_rows
        where {{ is_current }}
            and {{ history_changed_keys_filter(unique_key) }}
{%- endmacro -%}

{#- DuckDB: find the rows by their key and gyldig_til alone, then read the other columns of those rows only (by
    rowid): a scan of every column of every current row costs twice as much on a large history. -#}
{%- macro duckdb__history_current_rows_of_changes(history, is_current, unique_key) -%}
        select *, {{ unique_key_fields(unique_key) }}
        from {{ history }}
        where rowid in (
            select history_rows.rowid
            from {{ history }} as history_rows
            where {{ is_current }}
                and {{ history_changed_keys_filter(unique_key) }}
        )
{%- endmacro -%}
