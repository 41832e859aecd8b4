"""Publication: data files in storage, the register, fingerprints of the code, the latest alias."""
