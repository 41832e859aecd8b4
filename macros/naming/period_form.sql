{#- The form of an SSB period (year, month, date, week, bimester, quarter, tertial, half-year, date-time), or ''. -#}
{%- macro period_form(text) -%}
    {%- set forms = {
        'year': '^[0-9]{4}$',
        'month': '^[0-9]{4}-[0-9]{2}$',
        'date': '^[0-9]{4}-[0-9]{2}-[0-9]{2}$',
        'week': '^[0-9]{4}-W[0-9]{2}$',
        'bimester': '^[0-9]{4}-B[0-9]$',
        'quarter': '^[0-9]{4}-Q[0-9]$',
        'tertial': '^[0-9]{4}-T[0-9]$',
        'half-year': '^[0-9]{4}-H[0-9]$',
        'date-time': '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}-[0-9]{2}-[0-9]{2}([.][0-9]{3})?$',
    } -%}
    {%- for form, pattern in forms.items() -%}
        {%- if modules.re.match(pattern, text | string) -%}{{ return(form) }}{%- endif -%}
    {%- endfor -%}
    {{ return('') }}
{%- endmacro -%}
