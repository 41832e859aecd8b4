{#- Valid time, as known now: each key's current version, if the source says it was true on `date` (its valid-time
    columns, declared per history under meta.valid_time, hold the date). "Which employments ran on 1 March, as we
    know it today?" `date` is SQL, e.g. "cast('2025-03-01' as date)". -#}
{%- macro valid_at(history_relation, date, valid_from=none, valid_to=none) -%}
    {%- set valid_time = history_valid_time(history_relation, valid_from, valid_to) -%}
    select * from ({{ current_rows(history_relation) }}) as kjent_naa
    where {{ history_valid_on(valid_time, date) }}
{%- endmacro -%}
