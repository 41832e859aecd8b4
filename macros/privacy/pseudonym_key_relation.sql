{#-
    The pseudonymisation key table: <var pseudonym_key_schema, default pseudonymisering>.nokkel in the target's
    database, one row with the key's HMAC pads (ipad, opad) as hex text. Only the pipeline's identity may read that
    schema (docs/privacy.md); dataprodukt.core.pseudonym_key fills it.
-#}
{%- macro pseudonym_key_relation() -%}
    {{ return(api.Relation.create(
        database=target.database,
        schema=var('pseudonym_key_schema', 'pseudonymisering'),
        identifier='nokkel',
    )) }}
{%- endmacro -%}
