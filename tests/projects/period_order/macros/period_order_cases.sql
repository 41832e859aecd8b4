{#-
    Prints, as one JSON line, what the naming macros say about each case: the start of each period
    (period_start) and the problems of the pair (period_order_problems, joined by '; ').
    cases: a list of {period_from, period_to}, the rows of tests/data/period_order.csv.
-#}
{%- macro period_order_cases(cases) -%}
    {%- set results = [] -%}
    {%- for case in cases -%}
        {%- do results.append({
            'from_start': period_start(case.period_from),
            'to_start': period_start(case.period_to),
            'problems': period_order_problems(case.period_from, case.period_to) | join('; '),
        }) -%}
    {%- endfor -%}
    {{ print('PERIOD_ORDER ' ~ tojson(results)) }}
{%- endmacro -%}
