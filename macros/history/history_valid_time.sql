{#- The valid-time columns of a history, as its YAML declares them under meta.valid_time:
    {"from": ..., "to": ..., "to_inclusive": true (the default: "til og med", the end day is included)}.
    `valid_from`/`valid_to` given here win over the YAML. A dbt unit test compiles with no graph to look in (and
    hands the macro a CTE named __dbt__cte__<history>): there the project's var history_valid_time, default
    {from: fra_og_med_dato, to: til_og_med_dato}, stands in for the YAML. -#}
{%- macro history_valid_time(history_relation, valid_from=none, valid_to=none) -%}
    {%- set name = (history_relation.identifier if history_relation.identifier is defined else history_relation | string)
        | replace('__dbt__cte__', '') | replace('"', '') | replace('`', '') -%}
    {%- set nodes = graph.get('nodes') or {} -%}
    {%- set declared = {} -%}
    {%- if nodes | length == 0 -%}
        {%- do declared.update(var('history_valid_time', {'from': 'fra_og_med_dato', 'to': 'til_og_med_dato'})) -%}
    {%- endif -%}
    {%- for node in nodes.values() if node.resource_type == 'snapshot' and (node.alias or node.name) == name -%}
        {%- do declared.update(node.config.meta.get('valid_time') or {}) -%}
    {%- endfor -%}
    {%- set found = {
        'from': valid_from or declared.get('from'),
        'to': valid_to or declared.get('to'),
        'to_inclusive': declared.get('to_inclusive', true),
    } -%}
    {%- if not execute -%}
        {#- parsing: the graph is empty, and the SQL is not run -#}
        {%- do found.update({'from': found['from'] or 'null', 'to': found['to'] or 'null'}) -%}
    {%- elif not (found['from'] and found['to']) -%}
        {{ exceptions.raise_compiler_error(
            name ~ ": no valid-time columns: declare them in the history's YAML (config: meta: valid_time: "
            ~ "{from: fra_og_med_dato, to: til_og_med_dato}), or give valid_from= and valid_to= to the macro.") }}
    {%- endif -%}
    {{ return(found) }}
{%- endmacro -%}
