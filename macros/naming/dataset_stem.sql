{#-
    The SSB name of a published model: <description>_p<FROM>[_p<TO>]_v<N>.
    description: meta.short_description, else the model name with _ written as -;
    periods: the vars period_from / period_to (so --vars on a scheduled run wins), or meta.period_from /
    meta.period_to for a model that covers other periods than the product's;
    version: the dbt model version. Fails naming the model and its file when any part breaks the standard.
    A period_to equal to period_from means one period (written once); two periods follow period_order_problems.
-#}
{%- macro dataset_stem(node) -%}
    {%- set meta = node.config.meta or {} -%}
    {%- set where = node.name ~ (' v' ~ node.version if node.version is not none else '')
                    ~ ' (' ~ node.original_file_path ~ ')' -%}
    {%- set description = meta.get('short_description') or node.name | replace('_', '-') -%}
    {%- set period_from = (meta.get('period_from') or var('period_from', '')) | string -%}
    {%- set period_to = (meta.get('period_to') or var('period_to', '') or '') | string -%}
    {%- set errors = [] -%}
    {%- if not modules.re.match('^[A-Za-z0-9]+(-[A-Za-z0-9]+)*$', description) -%}
        {%- do errors.append("description '" ~ description ~ "': only a-z, A-Z, 0-9 and - between words "
                             ~ "(write ae, oe, aa for æ, ø, å; set meta.short_description)") -%}
    {%- endif -%}
    {%- if not modules.re.match('^(0|[1-9][0-9]*)$', node.version | string) -%}
        {%- do errors.append("version '" ~ node.version ~ "': use whole numbers (v0 unstable, v1 and up stable)") -%}
    {%- endif -%}
    {%- if not period_from -%}
        {%- do errors.append("period missing: set the var period_from (or meta.period_from)") -%}
    {%- else -%}
        {%- set problem = period_problem(period_from) -%}
        {%- if problem -%}{%- do errors.append(problem) -%}{%- endif -%}
    {%- endif -%}
    {%- if period_to and period_to != period_from -%}
        {%- set problem = period_problem(period_to) -%}
        {%- if problem -%}
            {%- do errors.append(problem) -%}
        {%- elif period_from and not period_problem(period_from) -%}
            {%- for problem in period_order_problems(period_from, period_to) -%}
                {%- do errors.append("periods p" ~ period_from ~ " and p" ~ period_to ~ ": " ~ problem) -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endif -%}
    {%- if errors -%}
        {{ exceptions.raise_compiler_error("published model " ~ where ~ " breaks the SSB naming standard: "
                                           ~ errors | join('; ')) }}
    {%- endif -%}
    {%- set stem = description ~ '_p' ~ period_from -%}
    {%- if period_to and period_to != period_from -%}{%- set stem = stem ~ '_p' ~ period_to -%}{%- endif -%}
    {{ return(stem ~ '_v' ~ node.version) }}
{%- endmacro -%}
