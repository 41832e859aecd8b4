{#- Both clocks: each key's version as the warehouse knew it at `timestamp` (transaction time, as_of), if the source
    then said it was true on `date` (valid time, meta.valid_time). "Which employments ran on 1 March, as we knew it
    on 15 March?" Reproducible: later corrections don't change the answer. -#}
{%- macro valid_at_as_of(history_relation, date, timestamp, valid_from=none, valid_to=none) -%}
    {%- set valid_time = history_valid_time(history_relation, valid_from, valid_to) -%}
    select * from ({{ as_of(history_relation, timestamp) }}) as kjent_da
    where {{ history_valid_on(valid_time, date) }}
{%- endmacro -%}
