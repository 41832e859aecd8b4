{#- The delivery time of the extract now in the raw tables, as SQL, or none. The loader passes it to every history
    run as the var leveringstidspunkt ('2024-03-31 06:00:00', UTC; load/deliveries.py finds it), and the history
    clock (snapshot_get_time) returns it instead of now: a version's gyldig_fra is when the source delivered it. A
    run without the var (dbt build, a plain dbt snapshot) records what it finds at the clock's now. -#}
{%- macro history_delivery_time() -%}
    {%- set delivered = var('leveringstidspunkt', none) -%}
    {%- if delivered is none or delivered | string | trim == '' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set delivered = delivered | string | trim -%}
    {%- if not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?)?', delivered) -%}
        {{ exceptions.raise_compiler_error(
            "var leveringstidspunkt is '" ~ delivered ~ "', not a time: give the delivery time in UTC as "
            ~ "'2024-03-31 06:00:00' (or leave the var out to record at the clock's now).") }}
    {%- endif -%}
    {{ return("cast('" ~ delivered | replace('T', ' ') ~ "' as " ~ dbt.type_timestamp() ~ ")") }}
{%- endmacro -%}
