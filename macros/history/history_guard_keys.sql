{#- Part of history_guard: every key of the source is present and unique. A duplicate or null key would give two
    current rows (or a row no one can find again), so the run stops with the offending keys and the raw batch they
    came in; nothing is written, and the batch is not logged as loaded, so the next run retries it once the extract
    is fixed. -#}
{%- macro history_guard_keys() -%}
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
{%- endmacro -%}
