{#-
    What a pair _p<FROM>_p<TO> of valid periods breaks, as a list (empty when nothing): both periods have one
    form, and FROM starts before TO starts (period_start). The same rule, and the same words, as
    dataprodukt.naming.period_order_problems (tests/data/period_order.csv holds the cases of both).
-#}
{%- macro period_order_problems(period_from, period_to) -%}
    {%- set period_from, period_to = period_from | string, period_to | string -%}
    {%- set problems = [] -%}
    {%- set form_from, form_to = period_form(period_from), period_form(period_to) -%}
    {%- if form_from != form_to -%}
        {%- do problems.append('both periods use the same form (' ~ form_from ~ ' vs ' ~ form_to ~ ')') -%}
    {%- endif -%}
    {%- set start_from, start_to = period_start(period_from), period_start(period_to) -%}
    {%- if period_from == period_to -%}
        {%- do problems.append('chronological order: the same period twice: write it once (_p' ~ period_from ~ ')') -%}
    {%- elif start_from == start_to -%}
        {%- do problems.append('chronological order: p' ~ period_from ~ ' and p' ~ period_to ~ ' both start '
                               ~ start_from ~ ': FROM must start before TO (one period: write it once)') -%}
    {%- elif start_from > start_to -%}
        {%- do problems.append('chronological order: p' ~ period_from ~ ' starts after p' ~ period_to ~ ' ('
                               ~ start_from ~ ' > ' ~ start_to ~ '): write the earlier period first (_p<FROM>_p<TO>)') -%}
    {%- endif -%}
    {{ return(problems) }}
{%- endmacro -%}
