{#-
    Pseudonymise a value with a keyed hash: HMAC-SHA-256 (RFC 2104) of the value's UTF-8 text under the project's
    secret key, as 64 lowercase hex characters; null stays null. The same key gives the same pseudonym on DuckDB,
    PostgreSQL and BigQuery (only built-in sha256 is used, no extension), so pseudonyms can be joined across engines
    and runs. This is PSEUDONYMISATION, not anonymisation: whoever holds the key can recompute the pseudonym of a
    known national id, so the result is still personal data (PSEUDONYMISED_ENCRYPTED_PERSONAL_DATA).

    The key is read by the query when it runs, from the key table (pseudonym_key_relation: the key's inner and outer
    HMAC pads, one row), which the tooling fills from DATAPRODUKT_PSEUDONYM_KEY through a bulk load before dbt runs.
    Nothing of the key is in the compiled SQL, so target/, dbt's logs and the warehouse's query history never hold
    it. The compiled shape is sha256((select opad from <key table>) || sha256((select ipad from <key table>) || value)):
    the privacy lineage recognises exactly this shape as pseudonymised.
-#}
{%- macro pseudonymize(column) -%}
    {%- set key = pseudonym_key_relation() -%}
    {#- compiling needs no key; a command that runs the query needs the table (get_relation asks the warehouse) -#}
    {%- if execute and flags.WHICH in ['run', 'build', 'test', 'show', 'retry'] and adapter.get_relation(key.database, key.schema, key.identifier) is none -%}
        {{ exceptions.raise_compiler_error(
            "pseudonymize(" ~ column ~ ") in " ~ model.name ~ ": the pseudonymisation key table " ~ key
            ~ " does not exist on target " ~ target.name ~ ". `dataprodukt run` fills it from DATAPRODUKT_PSEUDONYM_KEY"
            ~ " before dbt runs; before plain dbt, run `dataprodukt key` once (see docs/privacy.md)."
        ) }}
    {%- endif -%}
    {{ adapter.dispatch('pseudonymize')(column, key) }}
{%- endmacro -%}

{%- macro default__pseudonymize(column, key) -%}
    sha256(unhex((select pads.opad from {{ key }} as pads)) || unhex(sha256(unhex((select pads.ipad from {{ key }} as pads)) || encode(cast({{ column }} as varchar)))))
{%- endmacro -%}

{%- macro postgres__pseudonymize(column, key) -%}
    encode(sha256(decode((select pads.opad from {{ key }} as pads), 'hex') || sha256(decode((select pads.ipad from {{ key }} as pads), 'hex') || convert_to(cast({{ column }} as text), 'UTF8'))), 'hex')
{%- endmacro -%}

{#- BigQuery: the pad and the bytes are joined as hex text, then made bytes (from_hex). The same HMAC as joining bytes,
    and also what the BigQuery emulator computes right: it joins BYTES as their escaped text, so the offline test of
    the scheduled run can recompute every pseudonym. -#}
{%- macro bigquery__pseudonymize(column, key) -%}
    to_hex(sha256(from_hex(concat((select pads.opad from {{ key }} as pads), to_hex(sha256(from_hex(concat((select pads.ipad from {{ key }} as pads), to_hex(cast(cast({{ column }} as string) as bytes))))))))))
{%- endmacro -%}
