{#-
    True when the run goes to the local BigQuery emulator (`dataprodukt bq-emulator start`), not to real BigQuery:
    the target is named bigquery_emulator (profiles/profiles.yml), or `--vars '{bigquery_emulator: true}'` is given.
    The emulator's work-arounds in this folder apply only then; production runs take dbt-bigquery's own macros.
-#}
{%- macro is_bigquery_emulator() -%}
    {{ return(target.type == 'bigquery' and (target.name == 'bigquery_emulator' or var('bigquery_emulator', false) in [true, 'true', 'True'])) }}
{%- endmacro -%}
