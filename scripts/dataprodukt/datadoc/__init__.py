"""Datadoc metadata for every published dataset version, derived from dbt and written to every catalog sink.

Modules, one job each: ``types`` (warehouse type -> Datadoc type), ``fields`` (meta, languages, enums),
``lineage`` (column docs inherited from upstream), ``describe`` (all fields of one dataset and what is missing),
``stamps`` (created/updated without churn), ``documents`` (validated ssb-datadoc-model documents), ``sinks``
(files in storage, the catalog folder, the warehouse table), ``datapackage`` (Frictionless), ``exporter`` (all
of it, all or nothing). dbt's artifacts are read once, by ``core.artifacts``.
"""
