"""The floor for P1 / P5: the example's outputs computed by hand, in one process, from the same raw tables.

This is what the engine can do for the same job, written without dbt and without the project's SQL: the three
histories (initial build, with the history guard's key check), the three published tables with the same rows and
values (the same HMAC-SHA-256 pseudonyms, the same small-cell suppression), and the same checks the project's
data tests make, each fact proven once:

- the guard's `group by` on each source key proves it unique and present (what the staging keys' tests said);
- one aggregate pass per source table for the column checks (not null, ranges, code lists);
- one aggregate pass per history for one current row per key and real intervals; overlaps and repeated
  `gyldig_fra` need two rows of a key, so only keys with more than one row are ordered; deletions recorded by one
  join of the current rows with the source keys; the row count against the logged counts;
- one aggregate pass per published table for its grain and not-null columns.

How it is written (histories.py, outputs.py):
- certificates are matched to the employment relationships before being cut into quarters;
- the pseudonym is computed once per relationship, before the cut into quarters (no join to bring it back);
- distinct persons per cell are counted on the national id, in the same pass that sums the agreed days;
- nothing is written to the database that is not an output (temporary tables live in memory), and the lost days
  per relationship and quarter, needed by two outputs, are computed once;
- working days: a Monday-Friday calendar joined on the first and last day on DuckDB, arithmetic on the day
  number on PostgreSQL (the cheaper on each);
- on DuckDB the joins run in the order written (each hash table on the side known to be smaller);
- small-cell suppression is computed in Python on the statistic's cells (a few hundred rows).

Usage (benchmarks/pipeline_vs_sql.py runs it; it also runs alone where the raw tables are loaded):
    DATAPRODUKT_PSEUDONYM_KEY=... python benchmarks/floor --target duckdb --database build/gulv.duckdb
    python benchmarks/floor --target duckdb --database build/gulv.duckdb --verify-against build/sykefravaer.duckdb
    python benchmarks/floor --target postgres            # PG* variables; schemas gulv_*, beside dbt's
"""
