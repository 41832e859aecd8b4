"""Tooling for a dbt data product: example data, loading, checks, Datadoc export and publication."""

__version__ = "0.1.0"
