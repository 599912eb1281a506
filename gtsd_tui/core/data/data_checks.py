"""The data checks of pending statements: which existing rows each statement fails on or destroys.

Not to be confused with :mod:`gtsd_tui.core.migrations.preflight`, which refuses a *folder* before ``migrate``
connects (missing files, NUL bytes, ``when`` out of range). The data checks are derived from the
pending statements' parse trees (pglast) by :mod:`gtsd_tui.core.data.data_rules`: for each statement
that can fail on or destroy existing rows, the condition that picks those rows out (``SET NOT
NULL``: rows with NULL; a unique index: duplicate groups; a foreign key: orphans; a type change:
values that do not convert; a CHECK: violating rows; ``DROP COLUMN``/``DROP TABLE``/``TRUNCATE``:
what is lost). This module holds the check and builds its SQL from the parse tree, identifiers
quoted; :mod:`gtsd_tui.db.data_probe` runs it read-only.

Statements are judged on the schema they will meet (:mod:`gtsd_tui.core.data.data_schema`): a table an
earlier pending statement creates has no rows, a column it adds without a default is NULL
everywhere, a rename is followed back to today's name, and a table whose rows an earlier pending
statement changes (UPDATE, INSERT, DELETE) is not judged on today's rows (it is listed as not
checked, with the reason).
"""

from __future__ import annotations

from dataclasses import dataclass

NOT_NULL, UNIQUE, FOREIGN_KEY, CAST, CHECK, LOSS = "not_null", "unique", "foreign_key", "cast", "check", "loss"
ENUM_VALUE = "enum_value"  # rows holding an enum value a statement renames
ERROR, WARNING = "error", "warning"  # error: the statement fails when rows are found; warning: data is lost
SAMPLE = 5
NO_ROWS = "no rows to check"  # a reason that is an answer: the table is new and empty


def quote(name: str) -> str:
    """An identifier always double-quoted (the name exactly as the parse tree holds it)."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True)
class Rel:
    schema: str | None
    name: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.schema or "public", self.name)

    @property
    def sql(self) -> str:
        return f"{quote(self.schema)}.{quote(self.name)}" if self.schema else quote(self.name)

    @property
    def label(self) -> str:
        return f"{self.schema}.{self.name}" if self.schema else self.name


@dataclass(frozen=True)
class Place:
    tag: str
    file: str
    line: int
    column: int
    statement: str  # the statement without leading comments, on one line

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Check:
    """One read-only question about the rows a statement meets.

    ``condition`` picks out the offending rows of ``table`` (aliased ``t``); for ``unique``, ``group``
    holds the key expressions and ``condition`` the rows that take part. ``cast`` checks with no row
    condition evaluate ``source::target`` over the table instead. ``all_rows``: every row offends
    (a column added without default, then SET NOT NULL). ``reason``: not checked, and why."""

    kind: str
    severity: str
    place: Place
    table: Rel
    object: str
    what: str
    condition: str | None = None
    group: tuple[str, ...] = ()
    source: str | None = None  # cast: the value converted (the column or the USING expression)
    target_type: str | None = None  # cast: the new type as SQL
    column: str | None = None  # the column concerned, when there is one
    reason: str | None = None
    alias: str = ""  # the table's name as the statement writes it: expressions like "users"."age" read it
    source_is_column: bool = False  # cast: the value converted is the column itself
    assignment: bool = False  # cast: no USING, so the server needs an assignment cast to the new type

    def __post_init__(self) -> None:
        if not self.alias:
            object.__setattr__(self, "alias", self.table.name)

    @property
    def frm(self) -> str:
        return f"{self.table.sql} AS {quote(self.alias)}"

    @property
    def checked(self) -> bool:
        return self.reason is None

    @property
    def empty(self) -> bool:
        """Not run because there is nothing to find: the table is made by a pending statement."""
        return bool(self.reason and self.reason.startswith(NO_ROWS))


def count_sql(c: Check) -> str:
    """The query whose first column counts the offending rows (unique: duplicate groups, then rows)."""
    if c.kind == UNIQUE:
        keys = ", ".join(c.group)
        return (
            f"SELECT count(*), coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM {c.frm} "
            f"WHERE {c.condition} GROUP BY {keys} HAVING count(*) > 1) AS g"
        )
    if c.condition is None:  # a cast evaluated over the whole table: an error is the answer
        return f"SELECT count(({c.source})::{c.target_type}) FROM {c.frm}"
    return f"SELECT count(*) FROM {c.frm} WHERE {c.condition}"


def sample_sql(c: Check, keys: list[str]) -> str | None:
    """Up to five offending rows' keys (primary key columns, or ctid), never whole rows."""
    if c.condition is None:
        return None
    a = quote(c.alias)
    cols = ", ".join(f"{a}.{quote(k)}" for k in keys) if keys else f"{a}.ctid"
    where = c.condition
    if c.kind == UNIQUE:
        group = ", ".join(c.group)
        where = (
            f"{c.condition} AND ({group}) IN (SELECT {group} FROM {c.frm} WHERE {c.condition} "
            f"GROUP BY {group} HAVING count(*) > 1)"
        )
    return f"SELECT {cols} FROM {c.frm} WHERE {where} ORDER BY {cols} LIMIT {SAMPLE}"


def valid_input_sql(c: Check) -> str | None:
    """For a cast that failed: the rows whose text does not convert (``pg_input_is_valid``, PostgreSQL 16+);
    only meaningful when the source is text (the caller decides)."""
    if c.kind != CAST or c.source is None or c.target_type is None:
        return None
    return f"({c.source}) IS NOT NULL AND NOT pg_input_is_valid(({c.source})::text, {literal(c.target_type)})"
