"""The catalog page: what it is made of (documents, register, manifest, run log) and the static site."""
