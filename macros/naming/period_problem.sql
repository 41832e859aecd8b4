{#-
    What is wrong with an SSB period, or '' when it is valid: a known form and a real calendar value
    (2018-02-30 and 2019-W53 are refused, 2020-W53 is accepted). Mirrors dataprodukt.naming.parse_period.
-#}
{%- macro period_problem(text) -%}
    {%- set text = text | string -%}
    {%- set form = period_form(text) -%}
    {%- set subject = "period '" ~ text ~ "'" -%}
    {%- if not form -%}
        {{ return(subject ~ ": no valid form: use YYYY, YYYY-MM, YYYY-MM-DD, YYYY-Www, YYYY-Bn, YYYY-Qn, YYYY-Tn, "
                  ~ "YYYY-Hn or YYYY-MM-DDTHH-mm-ss.SSS") }}
    {%- endif -%}
    {%- set year = text[0:4] | int -%}
    {%- if form in ['month', 'date', 'date-time'] -%}
        {%- set month = text[5:7] | int -%}
        {%- if month < 1 or month > 12 -%}{{ return(subject ~ ": month " ~ text[5:7] ~ " is not 01-12") }}{%- endif -%}
        {%- if form != 'month' -%}
            {%- set leap = (year % 4 == 0 and year % 100 != 0) or year % 400 == 0 -%}
            {%- set days = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] -%}
            {%- set day = text[8:10] | int -%}
            {%- if day < 1 or day > days -%}
                {{ return(subject ~ ": not a real calendar value (" ~ year ~ "-" ~ text[5:7] ~ " has " ~ days ~ " days)") }}
            {%- endif -%}
        {%- endif -%}
        {%- if form == 'date-time' and (text[11:13] | int > 23 or text[14:16] | int > 59 or text[17:19] | int > 59) -%}
            {{ return(subject ~ ": not a real time of day") }}
        {%- endif -%}
    {%- elif form == 'week' -%}
        {%- set weeks = modules.datetime.date(year, 12, 28).isocalendar()[1] -%}
        {%- set number = text[6:8] | int -%}
        {%- if number < 1 or number > weeks -%}
            {{ return(subject ~ ": " ~ year ~ " has ISO weeks 01-" ~ weeks) }}
        {%- endif -%}
    {%- elif form != 'year' -%}
        {%- set count = {'bimester': 6, 'quarter': 4, 'tertial': 3, 'half-year': 2}[form] -%}
        {%- set number = text[6:7] | int -%}
        {%- if number < 1 or number > count -%}
            {{ return(subject ~ ": a " ~ form ~ " is numbered " ~ text[5] ~ "1-" ~ text[5] ~ count) }}
        {%- endif -%}
    {%- endif -%}
    {{ return('') }}
{%- endmacro -%}
