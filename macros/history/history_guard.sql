{#- Pre-hook for every history: check the source before the snapshot writes anything.
    1. Every key is present and unique. A duplicate or null key would give two current rows (or a row no one
       can find again), so the run stops with the offending keys and the raw batch they came in; nothing is
       written, and the batch is not logged as loaded, so the next run retries it once the extract is fixed.
    2. A column whose type grew (integer to bigint/numeric/float, a numeric with more digits) is widened in the
       history first: dbt widens only text columns and would otherwise round the new values into the old type.
    3. The hook's SQL takes a lock on the history (history_lock): concurrent runs take turns, none adds a
       version twice; then the run's settings (history_run_settings). -#}
{%- macro history_guard() -%}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {#- a wrong meta.history_source / deleted_when is named before anything runs -#}
    {%- do history_deleted_when() -%}
    {%- set key = config.get('unique_key') -%}
    {%- set keys = key if key is not string else [key] -%}
    {%- set source_sql = model['compiled_code'] -%}
    {%- set key_text = dbt.concat(keys | map('string') | list) if keys | length > 1 else keys[0] -%}
    {%- set check_sql -%}
        select cast({{ key_text }} as {{ dbt.type_string() }}) as noekkel, count(*) as rader
        from ({{ source_sql }}) as kilde
        group by {{ keys | join(', ') }}
        having count(*) > 1 or {% for k in keys %}{{ k }} is null{% if not loop.last %} or {% endif %}{% endfor %}
        order by rader desc, noekkel
        limit 10
    {%- endset -%}
    {%- set offenders = run_query(check_sql) -%}
    {%- if offenders.rows | length > 0 -%}
        {%- set found = [] -%}
        {%- for row in offenders.rows -%}
            {%- if row[0] is none -%}
                {%- do found.append(keys | join('/') ~ ' is null in ' ~ row[1] ~ ' row(s)') -%}
            {%- else -%}
                {%- do found.append(keys | join('/') ~ " '" ~ row[0] ~ "' appears " ~ row[1] ~ ' times') -%}
            {%- endif -%}
        {%- endfor -%}
        {%- set parents = model.depends_on.nodes | select('in', graph.nodes) | list -%}
        {%- set source_name = graph.nodes[parents[0]].name if parents | length == 1 else 'query' -%}
        {{ exceptions.raise_compiler_error(
            model.name ~ ': in ' ~ source_name ~ ' (' ~ history_guard_batch() ~ '), ' ~ (found | join('; '))
            ~ (' (first 10 shown)' if found | length == 10 else '')
            ~ '. Nothing was written to history. Fix the extract (one row per key, no empty key) and load it again.') }}
    {%- endif -%}
    {%- do history_widen_columns() -%}
    {{ return([history_lock(), history_run_settings()] | map('trim') | select | join(';\n')) }}
{%- endmacro -%}
