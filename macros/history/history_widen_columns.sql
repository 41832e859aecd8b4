{#- Widen a history column whose type grew in the staging model (integer -> bigint/numeric/float, numeric ->
    numeric with more digits) before dbt inserts into it: dbt widens only text columns and would otherwise
    round or refuse the new values. Text columns are left to dbt. -#}
{%- macro history_widen_columns() -%}
    {%- set history = adapter.get_relation(database=this.database, schema=this.schema, identifier=this.identifier) -%}
    {%- set parents = model.depends_on.nodes | select('in', graph.nodes) | list -%}
    {%- if history is none or parents | length != 1 -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set parent = graph.nodes[parents[0]] -%}
    {%- set source = adapter.get_relation(database=parent.database, schema=parent.schema, identifier=parent.alias) -%}
    {%- if source is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set existing = {} -%}
    {%- for column in adapter.get_columns_in_relation(history) -%}
        {%- do existing.update({column.name | lower: column.data_type}) -%}
    {%- endfor -%}
    {%- for column in adapter.get_columns_in_relation(source) -%}
        {%- set old_type = existing.get(column.name | lower) -%}
        {%- if old_type is not none and history_type_is_wider(old_type, column.data_type) -%}
            {%- do log(this.identifier ~ ': widening column ' ~ column.name ~ ' from ' ~ old_type ~ ' to '
                ~ column.data_type ~ ' (the staging model now gives the wider type)', info=true) -%}
            {%- call statement('history_widen_' ~ column.name) -%}
                alter table {{ history }} alter column {{ adapter.quote(column.name) }} set data type {{ column.data_type }}
            {%- endcall -%}
        {%- endif -%}
    {%- endfor -%}
{%- endmacro -%}
