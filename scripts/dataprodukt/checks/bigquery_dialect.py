"""Compiled SQL is BigQuery's own: every model, history and data test compiled for a BigQuery target parses with
sqlglot's BigQuery dialect, and uses no DuckDB- or PostgreSQL-only function, type or operator.

The BigQuery emulator runs on DuckDB and accepts much that real BigQuery rejects, so a green run on it does not
prove the SQL. This check reads the SQL dbt compiled for BigQuery, so it runs when the check is compiled for a
BigQuery target: `dataprodukt check --target bigquery_emulator --only bigquery_dialect` (emulator started with
`dataprodukt bq-emulator start`; no cloud account needed). On other targets it only leaves a note.

The deny-lists below are the constructs met in practice: write the BigQuery spelling, or a dispatch macro
(see macros/calendar/) when the engines differ.
"""

from __future__ import annotations

from typing import Any

from dataprodukt.checks import CheckContext, Violation

NAME = "bigquery_dialect"
BIGQUERY_TARGETS = ("bigquery", "bigquery_emulator")

# function name -> what BigQuery calls it
DUCKDB_ONLY_FUNCTIONS: dict[str, str] = {
    "LIST": "array_agg(...)",
    "LIST_VALUE": "[a, b, ...]",
    "LIST_AGG": "array_agg(...)",
    "STRUCT_PACK": "struct(...)",
    "STRPTIME": "parse_date / parse_timestamp",
    "TRY_STRPTIME": "safe.parse_date / safe.parse_timestamp",
    "STRFTIME": "format_date / format_timestamp",
    "EPOCH": "unix_seconds",
    "EPOCH_MS": "timestamp_millis / unix_millis",
    "EPOCH_US": "timestamp_micros / unix_micros",
    "REGEXP_FULL_MATCH": "regexp_contains(x, r'^...$')",
    "REGEXP_MATCHES": "regexp_contains",
    "REGEXP_SPLIT_TO_ARRAY": "split / regexp_extract_all",
    "STRING_SPLIT": "split",
    "STR_SPLIT": "split",
    "GENERATE_SERIES": "generate_array / generate_date_array (see the days_between macro)",
    "DATEDIFF": "date_diff(later, earlier, day)",
    "DATE_PART": "extract(part from x)",
    "DATEPART": "extract(part from x)",
    "TRY_CAST": "safe_cast",
    "TODAY": "current_date()",
    "NOW": "current_timestamp()",
    "MAKE_DATE": "date(year, month, day)",
    "MAKE_TIMESTAMP": "timestamp(datetime(...))",
    "LEN": "length",
    "AGE": "date_diff / timestamp_diff",
    "TO_CHAR": "format_date / format_timestamp / cast(x as string)",
    "TO_DATE": "parse_date",
}
# type name -> BigQuery's type
NON_BIGQUERY_TYPES: dict[str, str] = {
    "VARCHAR": "string (dbt.type_string())",
    "TEXT": "string (dbt.type_string())",
    "CHAR": "string",
    "DOUBLE": "float64 (dbt.type_float())",
    "REAL": "float64",
    "HUGEINT": "bignumeric",
    "UBIGINT": "int64 or numeric",
    "BLOB": "bytes",
    "UUID": "string",
    "TIMESTAMPTZ": "timestamp",
    "JSONB": "json",
}
# words that are operators or date parts BigQuery does not have
NON_BIGQUERY_WORDS: dict[str, str] = {
    "::": "cast(x as type)",
    "ILIKE": "lower(x) like lower(pattern)",
    "ISODOW": "the iso_weekday macro (extract(dayofweek ...) on BigQuery)",
    "DOW": "extract(dayofweek ...), Sunday = 1",
}
CAST_FUNCTIONS = frozenset({"CAST", "SAFE_CAST"})
DATE_PARTS = frozenset({"ISODOW", "DOW"})


def find_problems(sql: str) -> list[tuple[int, str, str]]:
    """(line, construct, what to write instead) for every non-BigQuery construct, and parse errors, in ``sql``."""
    import sqlglot
    from sqlglot import TokenType
    from sqlglot.errors import ParseError, TokenError

    dialect = sqlglot.Dialect.get_or_raise("bigquery")
    try:
        tokens = dialect.tokenize(sql)
    except TokenError as error:
        return [(0, "tokens", f"not BigQuery SQL: {error}")]
    problems: list[tuple[int, str, str]] = []
    opened: list[bool] = []  # per open parenthesis: is it a cast(...)?
    for index, token in enumerate(tokens):
        text = token.text.upper()
        if token.token_type in (TokenType.STRING, TokenType.IDENTIFIER):
            continue
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        if token.token_type == TokenType.L_PAREN:
            before = tokens[index - 1].text.upper() if index else ""
            opened.append(before in CAST_FUNCTIONS)
            continue
        if token.token_type == TokenType.R_PAREN:
            if opened:
                opened.pop()
            continue
        if token.token_type == TokenType.DCOLON:
            problems.append((token.line, "::", NON_BIGQUERY_WORDS["::"]))
            continue
        if following is not None and following.token_type == TokenType.L_PAREN and text in DUCKDB_ONLY_FUNCTIONS:
            previous = tokens[index - 1].token_type if index else None
            if previous != TokenType.DOT:  # safe.x(...) and dataset.x(...) are BigQuery's own
                problems.append((token.line, f"{token.text}()", DUCKDB_ONLY_FUNCTIONS[text]))
            continue
        cast_type = index and tokens[index - 1].token_type == TokenType.ALIAS and opened and opened[-1]
        after_dcolon = index and tokens[index - 1].token_type == TokenType.DCOLON
        if (cast_type or after_dcolon) and text in NON_BIGQUERY_TYPES:
            problems.append((token.line, f"type {token.text}", NON_BIGQUERY_TYPES[text]))
            continue
        is_operator = token.token_type == TokenType.ILIKE
        is_date_part = text in DATE_PARTS and following is not None and following.token_type == TokenType.FROM
        if is_operator or is_date_part:
            problems.append((token.line, token.text, NON_BIGQUERY_WORDS[text]))
    try:
        sqlglot.parse(sql, read="bigquery")
    except ParseError as error:
        first = error.errors[0] if error.errors else {}
        line = int(first.get("line") or 0)
        description = str(first.get("description") or error).splitlines()[0]
        problems.append((line, "syntax", f"does not parse as BigQuery SQL ({description})"))
    return problems


def _checked_nodes(context: CheckContext) -> list[dict[str, Any]]:
    """Everything that runs as SQL on BigQuery: models, histories and data tests (generic tests included)."""
    return [*context.nodes("model"), *context.nodes("snapshot"), *context.nodes("test")]


def run(context: CheckContext) -> list[Violation]:
    if context.project.target not in BIGQUERY_TARGETS:
        context.notes.append(
            f"{NAME}: compiled for {context.project.target}, not BigQuery, so not checked; run "
            f"`dataprodukt bq-emulator start` and `dataprodukt check --target bigquery_emulator --only {NAME}`"
        )
        return []
    violations = []
    for node in _checked_nodes(context):
        sql = node.get("compiled_code")
        if not sql:
            continue
        for line, construct, instead in find_problems(sql):
            where = f"line {line} of the compiled SQL" if line else "the compiled SQL"
            violations.append(
                Violation(
                    node["name"],
                    node["original_file_path"],
                    None,
                    construct,
                    f"not BigQuery ({where}): write {instead}",
                    NAME,
                )
            )
    return violations
