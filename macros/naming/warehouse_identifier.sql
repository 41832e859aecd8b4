{#-
    The relation name a warehouse stores a dataset stem under: lower case, every character other than a-z, 0-9
    and _ written as _ (sykefravaersprosent_p2024-Q1_p2024-Q4_v1 -> sykefravaersprosent_p2024_q1_p2024_q4_v1).
    Why not quote the stem as it is: dbt writes the CTE names of unit-test inputs unquoted, so a - in a published
    model's relation name breaks every unit test that reads it. The mapping is the same on every warehouse, needs no
    quoting in hand-written SQL, and the register keeps both names (dataset and relation_name).
    dataprodukt.naming.warehouse_identifier does the same in Python. PostgreSQL truncates names longer than
    63 bytes, so such a name is refused instead of silently shortened.
-#}
{%- macro warehouse_identifier(stem) -%}
    {%- set identifier = modules.re.sub('[^a-z0-9_]', '_', stem | lower) -%}
    {%- if identifier | length > 63 -%}
        {{ exceptions.raise_compiler_error(
            "dataset name " ~ stem ~ " is " ~ (stem | length) ~ " characters; relation names allow 63 "
            ~ "(PostgreSQL): shorten meta.short_description") }}
    {%- endif -%}
    {{ return(identifier) }}
{%- endmacro -%}
