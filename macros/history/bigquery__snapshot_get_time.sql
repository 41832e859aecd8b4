{#- The history clock on BigQuery: the delivery time of the extract being recorded (history_delivery_time), else
    now (BigQuery's timestamps are UTC). Overrides dbt's default (current_timestamp()). -#}
{%- macro bigquery__snapshot_get_time() -%}
    {%- set delivered = history_delivery_time() -%}
    {%- if delivered -%}
    {{ delivered }}
    {%- else -%}
    current_timestamp()
    {%- endif -%}
{%- endmacro -%}
