"""What a staging model's SQL does, read from its compiled SQL with sqlglot: which relations it reads, which
clauses it uses, and for every output column which source column it comes from and how (rename or cast).

Pure functions over SQL text, so the rule can be tested on any dialect without a warehouse. The rule itself
(what is allowed) lives in the tables below; ``checks/staging.py`` applies it to the project's models.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import DialectType
from sqlglot.errors import SqlglotError

from dataprodukt.rules.staging_casts import READ, cast_problem, type_of

# dbt adapter type -> sqlglot dialect
DIALECTS = {"duckdb": "duckdb", "postgres": "postgres", "bigquery": "bigquery"}

# The allow-list: the only expressions an output column may be, besides a (renamed) source column.
# Each counts as ONE cast of ONE source column; which types it may cast to is dataprodukt.rules.staging_casts
# (TRY_CAST and SAFE_CAST are recognised to be refused there). Keep this table and docs/staging.md in step.
CASTS: dict[type[exp.Expression], str] = {
    exp.Cast: "CAST(col AS type), col::type",
    exp.TryCast: "TRY_CAST(col AS type), BigQuery SAFE_CAST(col AS type): refused, a bad value becomes NULL",
}
# Parse functions with a declared input format (a string literal): DuckDB strptime, PostgreSQL
# to_date/to_timestamp, BigQuery PARSE_DATE/PARSE_TIMESTAMP/PARSE_DATETIME. Also allowed wrapped in one
# CAST to a date or timestamp type (DuckDB's strptime returns a timestamp: `strptime(col, '%d.%m.%Y')::date`).
PARSE_FUNCTIONS: dict[type[exp.Expression], str] = {
    exp.StrToDate: "to_date(col, 'format'), PARSE_DATE('format', col)",
    exp.StrToTime: "strptime(col, 'format'), to_timestamp(col, 'format'), PARSE_TIMESTAMP('format', col)",
}
DATE_TYPES = frozenset(
    {
        exp.DataType.Type.DATE,
        exp.DataType.Type.DATETIME,
        exp.DataType.Type.TIMESTAMP,
        exp.DataType.Type.TIMESTAMPTZ,
        exp.DataType.Type.TIMESTAMPLTZ,
        exp.DataType.Type.TIMESTAMP_S,
        exp.DataType.Type.TIMESTAMP_MS,
        exp.DataType.Type.TIMESTAMP_NS,
    }
)

# Clauses a staging model may not use: (argument of a SELECT, subject printed, regex in the SQL file, rule).
CLAUSES: tuple[tuple[str, str, str, str], ...] = (
    ("joins", "JOIN", r"\bjoin\b|\bfrom\s+\S+\s*,", "a staging model reads one source: join in an intermediate model"),
    ("laterals", "LATERAL", r"\blateral\b", "a staging model reads one source: join in an intermediate model"),
    ("where", "WHERE", r"\bwhere\b", "staging keeps every row: filter in an intermediate model"),
    ("group", "GROUP BY", r"\bgroup\s+by\b", "staging keeps the source's grain: aggregate in an intermediate model"),
    ("having", "HAVING", r"\bhaving\b", "staging keeps every row: filter in an intermediate model"),
    ("qualify", "QUALIFY", r"\bqualify\b", "staging keeps every row: deduplicate in an intermediate model"),
    ("distinct", "DISTINCT", r"\bdistinct\b", "staging keeps every row: deduplicate in an intermediate model"),
    ("order", "ORDER BY", r"\border\s+by\b", "staging output has no order: sort where the data is used"),
    ("limit", "LIMIT", r"\blimit\b|\bfetch\b", "staging keeps every row: remove the limit"),
    ("offset", "OFFSET", r"\boffset\b", "staging keeps every row: remove the offset"),
    ("sample", "SAMPLE", r"\b(table)?sample\b", "staging keeps every row: remove the sample"),
)
DUPLICATE = (
    "appears twice in the output: give every output column its own name (staging selects each source column once)"
)
SUBQUERY_FILTER = "a subquery filter drops rows: filter in an intermediate model"
SET_OPERATION = "a staging model reads one source: combine sources in an intermediate model"
NOT_A_CAST = (
    "not a rename or one cast of one source column: derive it in an intermediate model "
    "(or declare meta.staging_exception with a reason on the column)"
)
RULES = {
    "window": "window function: staging keeps values as delivered: compute it in an intermediate model",
    "aggregate": "aggregate: staging keeps the source's grain: aggregate in an intermediate model",
    "subquery": "subquery in a column: derive it in an intermediate model",
    "literal": "literal-only column: staging adds no values: add constants in an intermediate model",
    "casts": "more than one cast: cast the source column once, to its final type",
    "derived": NOT_A_CAST,
    "unknown": "not a column of the relation it selects from (a source has the columns its YAML declares)",
}


@dataclass(frozen=True)
class Finding:
    """A broken rule; ``pattern`` finds its line in the model's SQL file (the ``occurrence``-th match)."""

    subject: str
    rule: str
    pattern: str
    occurrence: int = 0
    fallback: str = ""  # tried when ``pattern`` matches nowhere


@dataclass(frozen=True)
class Lineage:
    """Where an output column comes from: one source column and how many casts, or the findings it breaks."""

    column: str | None
    casts: int = 0
    used: frozenset[str] = frozenset()
    findings: tuple[int, ...] = ()


@dataclass
class Analysis:
    relations: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    outputs: dict[str, Lineage] = field(default_factory=dict)
    # False when the source's columns are unknown and a `select *` passes them through
    complete: bool = True


def normalise(relation: str, dialect: str) -> str:
    """A relation name compared without quotes or case: catalog.db.name as far as given."""
    table = exp.to_table(relation, dialect=dialect)
    return ".".join(part.lower() for part in (table.catalog, table.db, table.name) if part)


def _matches(found: str, declared: str) -> bool:
    parts, want = found.split("."), declared.split(".")
    return parts == want[-len(parts) :]


class _Analyser:
    def __init__(
        self, dialect: str, sources: Mapping[str, Sequence[str]], types: Mapping[str, str] | None = None
    ) -> None:
        self.dialect = dialect
        self.sources = {normalise(name, dialect): tuple(col.lower() for col in cols) for name, cols in sources.items()}
        self.types = {column.lower(): kind for column, kind in (types or {}).items()}
        self.result = Analysis()
        self.ctes: dict[str, exp.Expression] = {}
        self.resolved: dict[str, dict[str, Lineage] | None] = {}
        self.counts: dict[str, int] = {}

    def find(self, subject: str, rule: str, pattern: str, fallback: str = "") -> int:
        occurrence = self.counts.get(pattern, 0)
        self.counts[pattern] = occurrence + 1
        self.result.findings.append(Finding(subject, rule, pattern, occurrence, fallback))
        return len(self.result.findings) - 1

    def column_finding(self, name: str, key: str, rule: str = "") -> int:
        if re.fullmatch(r"\w+", name):
            # the line that names the column (`... as name`), else the first that mentions it
            pattern, fallback = rf"\bas\s+{re.escape(name)}\b", rf"\b{re.escape(name)}\b"
            return self.find(f"column {name}", rule or RULES[key], pattern, fallback)
        # an unnamed expression: the line of its function or first word
        word = re.split(r"[\s(]", name.strip(), maxsplit=1)[0].lower()
        return self.find(f"column {name}", rule or RULES[key], rf"(?<!\w){re.escape(word)}(?!\w)")

    def duplicate_finding(self, name: str, occurrence: int) -> None:
        """An output name given again: reported on the line that names it the ``occurrence``-th time."""
        pattern = rf"\bas\s+{re.escape(name)}\b" if re.fullmatch(r"\w+", name) else r"\bselect\b"
        self.result.findings.append(
            Finding(f"column {name}", DUPLICATE, pattern, occurrence, rf"\b{re.escape(name)}\b")
        )

    # --- relations -------------------------------------------------------------------------------
    def relation(self, node: exp.Expression) -> dict[str, Lineage] | None:
        if isinstance(node, exp.Subquery):
            return self.select(node.this)
        if isinstance(node, exp.Table) and not node.db and node.name.lower() in self.ctes:
            key = node.name.lower()
            if key not in self.resolved:
                self.resolved[key] = None
                self.resolved[key] = self.select(self.ctes[key])
            return self.resolved[key]
        if isinstance(node, exp.Table):
            found = ".".join(part.lower() for part in (node.catalog, node.db, node.name) if part)
            for declared, columns in self.sources.items():
                if _matches(found, declared):
                    if not columns:
                        return None
                    return {col: Lineage(col, 0, frozenset({col})) for col in columns}
            return None  # not a source: reported once for the whole statement, its columns are unknown
        self.find(
            "FROM", f"reads {node.sql(dialect=self.dialect)}: a staging model reads one source table", r"\bfrom\b"
        )
        return {}

    # --- selects ---------------------------------------------------------------------------------
    def select(self, node: exp.Expression) -> dict[str, Lineage] | None:
        if isinstance(node, exp.Subquery):
            return self.select(node.this)
        if isinstance(node, exp.SetOperation):
            self.find(type(node).__name__.upper(), SET_OPERATION, rf"\b{type(node).__name__.lower()}\b")
            return self.select(node.this)
        if not isinstance(node, exp.Select):
            self.find("statement", "a staging model is one SELECT", r"\S")
            return {}
        for arg, subject, pattern, rule in CLAUSES:
            value = node.args.get(arg)
            if not value:
                continue
            if arg == "where" and value.find(exp.Subquery, exp.Exists):
                rule = SUBQUERY_FILTER
            for _ in value if isinstance(value, list) else [value]:
                self.find(subject, rule, pattern)
        source = node.args.get("from_") or node.args.get("from")
        if source is None:
            self.find("FROM", "reads no relation: select from the dbt source()", r"\bselect\b")
            inputs: dict[str, Lineage] | None = {}
        else:
            inputs = self.relation(source.this)
        for join in node.args.get("joins") or []:
            self.relation(join.this)
        outputs: dict[str, Lineage] | None = {}
        named: dict[str, int] = {}
        for projection in node.expressions:
            if isinstance(projection, exp.Star) or (
                isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star)
            ):
                star = projection if isinstance(projection, exp.Star) else projection.this
                excluded = {col.name.lower() for col in star.args.get("except_") or star.args.get("except") or []}
                # `* replace (expr as col)` is judged like any column; `* rename (col as name)` is a rename
                replaced = {
                    alias.alias_or_name.lower(): self.expression(alias.unalias(), alias.alias_or_name.lower(), inputs)
                    for alias in star.args.get("replace") or []
                }
                renames = {alias.this.name.lower(): alias.alias.lower() for alias in star.args.get("rename") or []}
                if inputs is None or outputs is None:
                    outputs = None
                    continue
                for key, lineage in inputs.items():
                    if key not in excluded:
                        outputs[renames.get(key, key)] = replaced.get(key, lineage)
                continue
            name = projection.alias_or_name.lower() or projection.sql(dialect=self.dialect)
            lineage = self.expression(projection.unalias(), name, inputs)
            named[name] = named.get(name, 0) + 1
            if named[name] > 1 or (outputs is not None and name in outputs):
                self.duplicate_finding(name, named[name] - 1)
            if outputs is not None:
                outputs[name] = lineage
        return outputs

    # --- columns ---------------------------------------------------------------------------------
    def expression(self, node: exp.Expression, name: str, inputs: dict[str, Lineage] | None) -> Lineage:
        while isinstance(node, exp.Paren):
            node = node.this
        used = frozenset(col.name.lower() for col in node.find_all(exp.Column))
        if isinstance(node, exp.Column):
            return self.column(node, name, inputs)
        inner: Any = node.this if isinstance(node, (*CASTS, *PARSE_FUNCTIONS)) else None
        while isinstance(inner, exp.Paren):
            inner = inner.this
        if isinstance(node, tuple(PARSE_FUNCTIONS)) and not isinstance(node.args.get("format"), exp.Literal):
            inner = None  # a parse without a declared format guesses: not a cast
        if (
            isinstance(node, tuple(CASTS))
            and isinstance(inner, tuple(PARSE_FUNCTIONS))
            and node.args["to"].this in DATE_TYPES
            and isinstance(inner.args.get("format"), exp.Literal)
        ):
            # one cast to a date/timestamp over a parse with a declared format is still one cast
            node, inner = inner, inner.this
        if inner is not None:
            lineage = self.expression(inner, name, inputs)
            if lineage.findings or lineage.column is None:
                return lineage
            if lineage.casts >= 1:
                return Lineage(None, lineage.casts + 1, lineage.used, (self.column_finding(name, "casts"),))
            problem = self.cast_problem(node, lineage.column)
            if problem:
                return Lineage(None, 1, lineage.used, (self.column_finding(name, "derived", problem),))
            return Lineage(lineage.column, 1, lineage.used)
        if node.find(exp.Subquery, exp.Exists):
            key = "subquery"
        elif node.find(exp.Window):
            key = "window"
        elif node.find(exp.AggFunc):
            key = "aggregate"
        elif not used:
            key = "literal"
        else:
            key = "derived"
        upstream = self.upstream(used, inputs)
        return Lineage(None, 0, upstream, (self.column_finding(name, key),))

    def cast_problem(self, node: exp.Expression, column: str) -> str | None:
        """What a cast of source column ``column`` changes (staging_casts); parse functions are judged above."""
        if not isinstance(node, exp.Cast):
            return None
        declared = self.types.get(column)
        source = type_of(declared, self.dialect) if declared else None
        safe = isinstance(node, exp.TryCast) or bool(node.args.get("safe"))
        return cast_problem(node.args["to"], source, self.dialect, safe)

    def upstream(self, names: frozenset[str], inputs: dict[str, Lineage] | None) -> frozenset[str]:
        if inputs is None:
            return names
        return frozenset(col for name in names if name in inputs for col in inputs[name].used)

    def column(self, node: exp.Column, name: str, inputs: dict[str, Lineage] | None) -> Lineage:
        key = node.name.lower()
        if inputs is None:
            return Lineage(key, 0, frozenset({key}))
        if key not in inputs:
            return Lineage(None, 0, frozenset(), (self.column_finding(name, "unknown"),))
        return inputs[key]

    # --- whole statement -------------------------------------------------------------------------
    def run(self, tree: exp.Expression) -> Analysis:
        for cte in tree.find_all(exp.CTE):
            self.ctes[cte.alias_or_name.lower()] = cte.this
        # every relation read that is not a CTE of this statement
        for table in tree.find_all(exp.Table):
            if table.db or table.name.lower() not in self.ctes:
                self.result.relations.append(".".join(p for p in (table.catalog, table.db, table.name) if p))
        # CTEs first, in the order written, so clause findings follow the file's order
        for cte in tree.find_all(exp.CTE):
            self.relation(exp.to_table(cte.alias_or_name))
        outputs = self.select(tree)
        self.result.outputs = outputs or {}
        # coverage means nothing when the model reads no relation at all (that finding says it)
        self.result.complete = outputs is not None and bool(self.result.relations)
        self.relation_findings()
        return self.result

    def relation_findings(self) -> None:
        distinct = list(dict.fromkeys(self.result.relations))
        for relation in distinct:
            if not any(_matches(relation.lower(), declared) for declared in self.sources):
                name = relation.split(".")[-1]
                self.find(
                    f"relation {relation}",
                    "not a dbt source() of this model: a staging model reads its raw table through source()",
                    rf"\b{re.escape(name)}\b",
                )
        if len(distinct) > 1:
            self.find(
                "FROM",
                f"reads {len(distinct)} relations ({', '.join(distinct)}): a staging model reads exactly one source",
                r"\bsource\s*\(|\bfrom\b",
            )


def analyse(
    sql: str, dialect: str, sources: Mapping[str, Sequence[str]], types: Mapping[str, str] | None = None
) -> Analysis:
    """Analyse one compiled staging model. ``sources`` maps each source relation the model may read (as
    written in compiled SQL) to the source's columns (empty when unknown); ``types`` maps a source column to its
    declared type (a column not in it is text, as raw extracts are). Raises SqlglotError when the SQL can't be
    parsed."""
    read: DialectType = READ.get(dialect, dialect)
    statements = [statement for statement in sqlglot.parse(sql, read=read) if statement is not None]
    if len(statements) != 1:
        analysis = Analysis()
        analysis.findings.append(
            Finding("statement", f"{len(statements)} statements: a staging model is one SELECT", r"\S")
        )
        return analysis
    tree: Any = statements[0]
    return _Analyser(dialect, sources, types).run(tree)


def finding_line(raw_code: str, finding: Finding) -> int | None:
    """The line of a finding in the model's SQL file."""
    line = line_of(raw_code, finding.pattern, finding.occurrence)
    if line is None and finding.fallback:
        line = line_of(raw_code, finding.fallback, finding.occurrence)
    return line


def line_of(raw_code: str, pattern: str, occurrence: int = 0) -> int | None:
    """The line in the model's SQL file where the pattern matches for the ``occurrence``-th time (comments and
    Jinja comments ignored); the last match when there are fewer, None when there is none."""
    text = re.sub(r"{#.*?#}", lambda m: "\n" * m.group(0).count("\n"), raw_code, flags=re.S)
    text = re.sub(r"--[^\n]*", "", text)
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    matches = list(re.finditer(pattern, text, flags=re.I))
    if not matches:
        return None
    match = matches[min(occurrence, len(matches) - 1)]
    return text.count("\n", 0, match.start()) + 1


def parse_message(error: SqlglotError) -> str:
    """sqlglot's message on one line, without its terminal colour codes."""
    details = getattr(error, "errors", None) or []
    if details:
        first = details[0]
        where = (
            f" at line {first.get('line')}, column {first.get('col')} of the compiled SQL" if first.get("line") else ""
        )
        return f"{first.get('description') or 'invalid SQL'}{where}"
    return re.sub(r"\x1b\[[0-9;]*m", "", " ".join(str(error).split()))[:300]
