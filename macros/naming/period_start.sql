{#-
    The instant a valid SSB period starts, as a key that sorts like time: YYYY-MM-DDTHH-mm-ss.SSS
    (2024 -> 2024-01-01T00-00-00.000, 2020-W01 -> 2019-12-30T00-00-00.000, its Monday; a date-time as written,
    .000 added when it has no fraction). Periods are ordered by these keys, in every form and across forms.
    The same key as dataprodukt.naming.period_start (tests/data/period_order.csv holds the cases of both).
-#}
{%- macro period_start(text) -%}
    {%- set text = text | string -%}
    {%- set form = period_form(text) -%}
    {%- if form == 'date-time' -%}{{ return(text if '.' in text else text ~ '.000') }}{%- endif -%}
    {%- set year = text[0:4] | int -%}
    {%- if form == 'week' -%}
        {%- set day = modules.datetime.date.fromisocalendar(year, text[6:8] | int, 1) -%}
    {%- elif form in ['month', 'date'] -%}
        {%- set day = modules.datetime.date(year, text[5:7] | int, (text[8:10] or '1') | int) -%}
    {%- elif form == 'year' -%}
        {%- set day = modules.datetime.date(year, 1, 1) -%}
    {%- else -%}
        {#- bimester, quarter, tertial, half-year: part n starts at month (n - 1) * months per part + 1 -#}
        {%- set months = {'bimester': 2, 'quarter': 3, 'tertial': 4, 'half-year': 6}[form] -%}
        {%- set day = modules.datetime.date(year, ((text[6:7] | int) - 1) * months + 1, 1) -%}
    {%- endif -%}
    {{ return(day.isoformat() ~ 'T00-00-00.000') }}
{%- endmacro -%}
