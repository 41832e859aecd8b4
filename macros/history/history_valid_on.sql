{#- SQL condition: the row's valid-time interval (history_valid_time) holds the date. An empty end is open (still
    valid); an end that is "til og med" (to_inclusive, the default) holds its own date. -#}
{%- macro history_valid_on(valid_time, date) -%}
    {{ valid_time['from'] }} <= {{ date }}
    and ({{ valid_time['to'] }} is null or {{ valid_time['to'] }} {{ '>=' if valid_time['to_inclusive'] else '>' }} {{ date }})
{%- endmacro -%}
