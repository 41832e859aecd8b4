{#- A strftime format ('%d.%m.%Y %H:%M:%S', as DuckDB and BigQuery read it) as PostgreSQL's to_date/to_timestamp
    template ('DD.MM.YYYY HH24:MI:SS'); letters outside a directive are quoted so PostgreSQL reads them literally. -#}
{%- macro postgres_datetime_format(format) -%}
    {%- set directives = {'Y': 'YYYY', 'y': 'YY', 'm': 'MM', 'd': 'DD', 'H': 'HH24', 'M': 'MI', 'S': 'SS',
                          'f': 'US', 'j': 'DDD', '%': '%'} -%}
    {%- set out = [] -%}
    {%- set state = namespace(escape=false) -%}
    {%- for char in format -%}
        {%- if state.escape -%}
            {%- if char not in directives -%}
                {{ exceptions.raise_compiler_error(
                    "the date format '" ~ format ~ "' has %" ~ char ~ ", which has no PostgreSQL equivalent here: "
                    ~ "use %Y %y %m %d %H %M %S %f %j and literal characters") }}
            {%- endif -%}
            {%- do out.append(directives[char]) -%}
            {%- set state.escape = false -%}
        {%- elif char == '%' -%}
            {%- set state.escape = true -%}
        {%- elif char.isalpha() -%}
            {%- do out.append('"' ~ char ~ '"') -%}
        {%- else -%}
            {%- do out.append(char) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(out | join('')) }}
{%- endmacro -%}
