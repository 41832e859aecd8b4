{#-
    Pseudonymise a value with a keyed hash: HMAC-SHA-256 (RFC 2104) of the value's UTF-8 text under the secret key
    in the environment variable DATAPRODUKT_PSEUDONYM_KEY, as 64 lowercase hex characters; null stays null.
    The same key gives the same pseudonym on DuckDB, PostgreSQL and BigQuery (only built-in sha256 is used, no
    extension), so pseudonyms can be joined across engines and runs. This is PSEUDONYMISATION, not anonymisation:
    whoever holds the key can recompute the pseudonym of a known national id, so the result is still personal data
    (PSEUDONYMISED_ENCRYPTED_PERSONAL_DATA).

    The key's inner and outer pads are computed here at compile time, so the compiled SQL has the shape
    sha256(opad || sha256(ipad || value)) with two 64-byte hex literals: the privacy lineage recognises exactly this
    shape as pseudonymised. The pads are key material: compiled SQL under target/ must be kept as secret as the key.
-#}
{%- macro pseudonymize(column) -%}
    {%- set variable = 'DATAPRODUKT_PSEUDONYM_KEY' -%}
    {%- set key = env_var(variable, '') -%}
    {%- if not key -%}
        {%- if execute -%}
            {{ exceptions.raise_compiler_error(
                "pseudonymize(" ~ column ~ ") in " ~ model.name ~ ": the environment variable " ~ variable
                ~ " is not set. Set it to the secret pseudonymisation key (32-64 characters, from the secret store in"
                ~ " production); `dataprodukt` makes a local development key in build/pseudonym.key on the duckdb and"
                ~ " postgres targets (export " ~ variable ~ "=$(cat build/pseudonym.key) for plain dbt)."
            ) }}
        {%- endif -%}
        {#- parsing only: the key is read when the model is compiled -#}
        {%- set key = 'parse-time-placeholder-key-000000' -%}
    {%- endif -%}
    {%- set key_bytes = key.encode('utf-8') | list -%}
    {%- if key_bytes | length < 32 or key_bytes | length > 64 -%}
        {{ exceptions.raise_compiler_error(
            "pseudonymize(" ~ column ~ ") in " ~ model.name ~ ": the key in " ~ variable ~ " is "
            ~ (key_bytes | length) ~ " bytes long; use a random key of 32 to 64 characters (e.g. `openssl rand -hex 32`)."
        ) }}
    {%- endif -%}
    {%- set ipad = [] -%}
    {%- set opad = [] -%}
    {%- for index in range(64) -%}
        {%- set byte = key_bytes[index] if index < key_bytes | length else 0 -%}
        {%- do ipad.append('%02x' % _privacy_xor(byte, 54)) -%}
        {%- do opad.append('%02x' % _privacy_xor(byte, 92)) -%}
    {%- endfor -%}
    {{ adapter.dispatch('pseudonymize')(column, ipad | join(''), opad | join('')) }}
{%- endmacro -%}

{%- macro default__pseudonymize(column, ipad, opad) -%}
    sha256(unhex('{{ opad }}') || unhex(sha256(unhex('{{ ipad }}') || encode(cast({{ column }} as varchar)))))
{%- endmacro -%}

{%- macro postgres__pseudonymize(column, ipad, opad) -%}
    encode(sha256(decode('{{ opad }}', 'hex') || sha256(decode('{{ ipad }}', 'hex') || convert_to(cast({{ column }} as text), 'UTF8'))), 'hex')
{%- endmacro -%}

{%- macro bigquery__pseudonymize(column, ipad, opad) -%}
    to_hex(sha256(concat(from_hex('{{ opad }}'), sha256(concat(from_hex('{{ ipad }}'), cast(cast({{ column }} as string) as bytes))))))
{%- endmacro -%}

{#- Bitwise exclusive or of two bytes (Jinja has no ^ operator). -#}
{%- macro _privacy_xor(left, right) -%}
    {%- set result = namespace(value=0) -%}
    {%- for bit in range(8) -%}
        {%- set weight = 2 ** bit -%}
        {%- if (left // weight) % 2 != (right // weight) % 2 -%}
            {%- set result.value = result.value + weight -%}
        {%- endif -%}
    {%- endfor -%}
    {{- return(result.value) -}}
{%- endmacro -%}
