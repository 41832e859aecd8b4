{#-
    When the source table last delivered: the newest batch holding it in the loader's load log (raw.lastelogg,
    one row per batch loaded: its row counts per table, and when it was loaded, in UTC). It is the query of
    `loaded_at_query` in the sources' freshness config, so dbt source freshness measures deliveries, not the dates
    inside the data: the example's synthetic data is dated 2025 and is always "delivered" by the run that loads
    it, and a source that stops delivering grows stale from its last batch on.
-#}
{%- macro source_delivered_at() -%}
    {%- set log = api.Relation.create(database=this.database, schema=this.schema, identifier='lastelogg') -%}
    select max(cast(loaded_at as {{ dbt.type_timestamp() }}))
    from {{ log }}
    where row_counts like '%"{{ this.identifier }}":%'
{%- endmacro -%}
