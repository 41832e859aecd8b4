{#- Each key's state as the warehouse knew it at a point in transaction time: the row whose half-open interval
    [gyldig_fra, gyldig_til) holds the timestamp, unless that row records a deletion. `timestamp` is SQL
    (e.g. "cast('2025-02-01' as timestamp)"); history times are UTC. -#}
{%- macro as_of(history_relation, timestamp) -%}
    select * from {{ history_relation }}
    where gyldig_fra <= {{ timestamp }}
        and gyldig_til > {{ timestamp }}
        and er_slettet = 'False'
{%- endmacro -%}
