{#- The history clock on PostgreSQL: now in UTC, whatever the session's time zone, so gyldig_fra never jumps
    back or forth when a run happens to use another time zone. Overrides dbt-postgres' version (root project wins). -#}
{%- macro postgres__snapshot_get_time() -%}
    (now() at time zone 'utc')::timestamp without time zone
{%- endmacro -%}
