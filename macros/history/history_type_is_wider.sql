{#- True when `new_type` holds every value of `old_type` and more: a larger integer, a numeric or float in
    place of an integer, or a numeric with at least as many digits on both sides of the point. -#}
{%- macro history_type_is_wider(old_type, new_type) -%}
    {%- set old = old_type | lower | replace(' ', '') -%}
    {%- set new = new_type | lower | replace(' ', '') -%}
    {%- if old == new -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set integers = {'smallint': 1, 'int2': 1, 'integer': 2, 'int': 2, 'int4': 2, 'bigint': 3, 'int8': 3,
                        'int64': 3, 'hugeint': 4} -%}
    {%- set floats = ['real', 'float4', 'float', 'double', 'doubleprecision', 'float8', 'float64'] -%}
    {%- set old_base = old.split('(')[0] -%}
    {%- set new_base = new.split('(')[0] -%}
    {%- set decimals = ['numeric', 'decimal', 'bignumeric'] -%}
    {%- if old_base in integers -%}
        {{ return((new_base in integers and integers[new_base] > integers[old_base])
                  or new_base in decimals or new_base in floats) }}
    {%- endif -%}
    {%- if old_base in decimals and new_base in decimals and '(' in old and '(' in new -%}
        {%- set old_p, old_s = (old.split('(')[1].rstrip(')').split(',') + ['0'])[:2] | map('int') | list -%}
        {%- set new_p, new_s = (new.split('(')[1].rstrip(')').split(',') + ['0'])[:2] | map('int') | list -%}
        {{ return(new_s >= old_s and new_p - new_s >= old_p - old_s) }}
    {%- endif -%}
    {{ return(false) }}
{%- endmacro -%}
