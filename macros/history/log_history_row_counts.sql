{#- on-run-end: append each existing history's row count to the log, so history_row_count_never_decreases can
    tell the next run whether a row disappeared. Every count is kept: the test compares with the highest ever. -#}
{%- macro log_history_row_counts() -%}
    {#- only commands that can write history log it; a test run must not move the bar it is checked against -#}
    {%- if not execute or flags.WHICH not in ('build', 'snapshot') -%}
        {{ return('') }}
    {%- endif -%}
    {%- set log = history_row_count_log() -%}
    {%- set histories = [] -%}
    {%- for node in graph.nodes.values() if node.resource_type == 'snapshot' -%}
        {%- set relation = adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias) -%}
        {%- if relation is not none -%}
            {%- do histories.append((node.name, relation)) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if histories | length == 0 -%}
        {{ return('') }}
    {%- endif -%}
    {%- do adapter.create_schema(log) -%}
    {%- call statement('create_history_row_count_log') -%}
        create table if not exists {{ log }} (
            historikk {{ dbt.type_string() }},
            rader {{ dbt.type_bigint() }},
            logget_tidspunkt {{ dbt.type_timestamp() }},
            invocation_id {{ dbt.type_string() }}
        )
    {%- endcall -%}
    {%- call statement('log_history_row_counts') -%}
        insert into {{ log }} (historikk, rader, logget_tidspunkt, invocation_id)
        {% for name, relation in histories -%}
        select '{{ name }}', count(*), {{ snapshot_get_time() }}, '{{ invocation_id }}' from {{ relation }}
        {% if not loop.last %}union all{% endif %}
        {% endfor %}
    {%- endcall -%}
    {#- hooks at the end of a run run outside dbt's transaction: make the rows stick -#}
    {%- do adapter.commit() -%}
    {{ return('') }}
{%- endmacro -%}
