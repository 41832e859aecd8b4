"""What every step stands on: the project, errors, the dbt session and its artifacts, the run context, storage,
the warehouse (one module per engine), provenance (clock and git), the pseudonymisation key, the emulator."""
