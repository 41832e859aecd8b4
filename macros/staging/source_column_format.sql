{#- The date or time format the source YAML declares for a raw column of this staging model's source (the column's
    meta.format), found case-insensitively. Stops the build, naming the model and the column, when there is none. -#}
{%- macro source_column_format(column) -%}
    {%- if not execute -%}
        {{ return('%Y-%m-%d') }}
    {%- endif -%}
    {%- set found = [] -%}
    {%- for pair in model.sources -%}
        {%- for node in graph.sources.values() if node.source_name == pair[0] and node.name == pair[1] -%}
            {%- for name, declared in node.columns.items() if name | lower == column | lower -%}
                {%- if declared.meta.get('format') -%}
                    {%- do found.append(declared.meta['format']) -%}
                {%- endif -%}
            {%- endfor -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- if found | length != 1 -%}
        {{ exceptions.raise_compiler_error(
            model.name ~ ": column " ~ column ~ " is parsed with parse_date/parse_timestamp, but its source YAML "
            ~ "declares no format for it: add `meta: {format: '%d.%m.%Y'}` (its format) to the column "
            ~ column ~ " of " ~ (model.sources | map('join', '.') | join(', ')) ~ ".") }}
    {%- endif -%}
    {{ return(found[0]) }}
{%- endmacro -%}
