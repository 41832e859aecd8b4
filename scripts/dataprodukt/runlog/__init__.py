"""The run log in the warehouse: writing a run, reading it back, dbt's results as rows, source freshness."""
