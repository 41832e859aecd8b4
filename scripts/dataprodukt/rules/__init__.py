"""Pure rules of the field, no I/O: SSB names and periods, dataset identity, personal-data classes by lineage,
what staging SQL may do, file versions and the scheduled period."""
