"""Small file checks run by the local pre-commit hooks (``python -m dataprodukt.hooks.<name> FILE ...``).

Each module has ``main(argv) -> int``: 0 when every file passes, 1 after printing one line per problem.
They stand in for the remote pre-commit-hooks repository, so the hooks run offline on a fresh clone.
"""
