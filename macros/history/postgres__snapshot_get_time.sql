{#- The history clock on PostgreSQL: the delivery time of the extract being recorded (history_delivery_time), else
    now in UTC, whatever the session's time zone, so gyldig_fra never jumps back or forth when a run happens to use
    another time zone. Overrides dbt-postgres' version (root project wins). -#}
{%- macro postgres__snapshot_get_time() -%}
    {%- set delivered = history_delivery_time() -%}
    {%- if delivered -%}
    {{ delivered }}
    {%- else -%}
    (now() at time zone 'utc')::timestamp without time zone
    {%- endif -%}
{%- endmacro -%}
