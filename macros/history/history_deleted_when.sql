{#- What kind of source a history records, from the snapshot's meta:
    - history_source: full (the default): every extract holds every key; a key missing from it is deleted.
      Returns none.
    - history_source: changes: every extract holds only the keys that changed since the last one, and a row
      that deletes its key is flagged; deleted_when is that flag, a SQL condition over the source's columns
      (e.g. "endringstype = 'D'"). Returns the condition.
    Anything else stops the run with what to write instead. -#}
{%- macro history_deleted_when() -%}
    {%- set meta = config.get('meta') or {} -%}
    {%- set kind = meta.get('history_source', 'full') -%}
    {%- if kind == 'full' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if kind != 'changes' -%}
        {{ exceptions.raise_compiler_error(
            model.name ~ ": meta.history_source is '" ~ kind ~ "'. Write 'full' (every extract holds every key; "
            ~ "the default) or 'changes' (every extract holds only changed keys, deletions flagged by "
            ~ "meta.deleted_when) in its snapshot YAML (" ~ model.original_file_path ~ ").") }}
    {%- endif -%}
    {%- set condition = meta.get('deleted_when') -%}
    {%- if condition is not string or not condition | trim -%}
        {{ exceptions.raise_compiler_error(
            model.name ~ ": meta.history_source is 'changes' but meta.deleted_when is missing in "
            ~ model.original_file_path ~ ". Give the SQL condition, over the source's columns, that is true on "
            ~ "a row deleting its key, e.g. deleted_when: \"endringstype = 'D'\".") }}
    {%- endif -%}
    {{ return(condition) }}
{%- endmacro -%}
