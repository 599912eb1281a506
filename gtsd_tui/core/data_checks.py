"""The data checks of pending statements: which existing rows each statement fails on or destroys.

Not to be confused with :mod:`gtsd_tui.core.preflight`, which refuses a *folder* before ``migrate``
connects (missing files, NUL bytes, ``when`` out of range). This module reads the pending statements'
parse trees (pglast) and derives, for each statement that can fail on or destroy existing rows, the
condition that picks those rows out (``SET NOT NULL``: rows with NULL; a unique index: duplicate
groups; a foreign key: orphans; a type change: values that do not convert; a CHECK: violating rows;
``DROP COLUMN``/``DROP TABLE``/``TRUNCATE``: what is lost). The SQL is built from the parse tree,
identifiers quoted; :mod:`gtsd_tui.db.data_probe` runs it read-only.

Statements are judged on the schema they will meet: a table an earlier pending statement creates has
no rows, a column it adds without a default is NULL everywhere, a rename is followed back to today's
name, and a table whose rows an earlier pending statement changes (UPDATE, INSERT, DELETE) is not
judged on today's rows (it is listed as not checked, with the reason).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from gtsd_tui.core.hashing import line_col
from gtsd_tui.core.plan import Step
from gtsd_tui.core.stmt_split import display_text, statement_chunks

NOT_NULL, UNIQUE, FOREIGN_KEY, CAST, CHECK, ENUM_VALUE, LOSS = (
    "not_null",
    "unique",
    "foreign_key",
    "cast",
    "check",
    "enum_value",
    "loss",
)
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


# ---- the schema the statements will meet ---------------------------------------------------------


@dataclass
class _Column:
    default_sql: str | None  # the default a new column gets (None: NULL)
    place: Place


@dataclass
class _Schema:
    created: dict[tuple[str, str], Place] = field(default_factory=dict)  # tables made by pending statements
    dropped: dict[tuple[str, str], Place] = field(default_factory=dict)
    written: dict[tuple[str, str], Place] = field(default_factory=dict)  # rows changed by pending DML
    renamed: dict[tuple[str, str], str] = field(default_factory=dict)  # new table key -> today's name
    added: dict[tuple[str, str, str], _Column] = field(default_factory=dict)
    col_renamed: dict[tuple[str, str, str], str] = field(default_factory=dict)  # new -> today's name
    retyped: dict[tuple[str, str, str], Place] = field(default_factory=dict)
    dropped_cols: dict[tuple[str, str, str], Place] = field(default_factory=dict)
    enums: dict[str, list[str]] = field(default_factory=dict)  # enum types made by pending statements
    not_valid: dict[tuple[str, str, str], Any] = field(default_factory=dict)  # (schema, table, con) -> Constraint

    def today(self, rel: Rel) -> Rel:
        name = self.renamed.get(rel.key)
        return Rel(rel.schema, name) if name else rel

    def column_today(self, rel: Rel, col: str) -> str:
        return self.col_renamed.get((*rel.key, col), col)

    def why_not(self, rel: Rel, verb: str = "runs") -> str | None:
        """Why today's rows of ``rel`` are not the rows the statement meets (None: they are)."""
        k = rel.key
        if k in self.created:
            return f"{NO_ROWS}: the table is created by {_at(self.created[k])}"
        if k in self.dropped:
            return f"the table is dropped by {_at(self.dropped[k])} before this {verb}"
        if k in self.written:
            return (
                f"its rows are changed by {_at(self.written[k])} before this {verb}; "
                "today's rows are not the ones it meets"
            )
        return None


def _at(p: Place) -> str:
    return f"{p.tag} ({p.where})"


def _type_sql(type_name: Any) -> str:
    from pglast.stream import RawStream

    return str(RawStream()(type_name))


def _expr_sql(node: Any) -> str:
    from pglast.stream import RawStream

    return str(RawStream()(node))


def _rel(rv: Any) -> Rel:
    return Rel(str(rv.schemaname) if rv.schemaname else None, str(rv.relname))


def _name_list(names: Any) -> list[str]:
    return [str(getattr(n, "sval", "")) for n in names or ()]


def _type_key(names: list[str]) -> str:
    return ".".join(names[1:] if len(names) > 1 and names[0] == "public" else names)


def _column_refs(node: Any) -> Iterator[str]:
    """The bare column names an expression reads."""
    from pglast import ast

    if isinstance(node, ast.ColumnRef):
        fields = [f for f in node.fields or () if isinstance(f, ast.String)]
        if fields:
            yield str(fields[-1].sval)
        return
    if isinstance(node, ast.Node):
        for name in node:
            yield from _column_refs(getattr(node, name))
    elif isinstance(node, tuple | list):
        for item in node:
            yield from _column_refs(item)


# ---- statements --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Statement:
    place: Place
    node: Any  # the pglast statement node


def statements(steps: list[Step], folder_path: Any) -> list[Statement]:
    """Every parsable pending statement, in the order ``migrate`` sends them, with its ``file:line:col``."""
    import pglast

    out = []
    for step in steps:
        file = str(folder_path / (step.migration.file or step.migration.tag))
        for chunk in step.chunks:
            for stmt in statement_chunks(chunk):
                try:
                    raw = pglast.parse_sql(stmt.text)
                except pglast.parser.ParseError:
                    continue
                if len(raw) != 1:
                    continue
                start, text = display_text(stmt.text)
                line, col = line_col(step.text, stmt.offset + start)
                place = Place(step.migration.tag, file, line, col, " ".join(text.split()))
                out.append(Statement(place, raw[0].stmt))
    return out


def derive(stmts: list[Statement]) -> list[Check]:
    """The checks of the statements, in order, each judged on the schema the earlier ones leave."""
    schema = _Schema()
    out: list[Check] = []
    for s in stmts:
        out += _checks_of(s, schema)
        _record(s, schema)
    return out


def _checks_of(s: Statement, schema: _Schema) -> list[Check]:
    from pglast import ast

    node = s.node
    if isinstance(node, ast.AlterTableStmt) and node.relation is not None:
        rel = _rel(node.relation)
        out: list[Check] = []
        for cmd in node.cmds or ():
            out += _alter_cmd(s.place, rel, cmd, schema)
        return out
    if isinstance(node, ast.IndexStmt) and node.unique and node.relation is not None:
        rel = _rel(node.relation)
        exprs = []
        for p in node.indexParams or ():
            exprs.append(quote(str(p.name)) if p.name else f"({_expr_sql(p.expr)})")
        pred = f" AND ({_expr_sql(node.whereClause)})" if node.whereClause is not None else ""
        name = str(node.idxname or "unnamed unique index")
        return [_unique(s.place, rel, name, exprs, schema, nulls_distinct=not node.nulls_not_distinct, extra=pred)]
    if isinstance(node, ast.DropStmt):
        return _drops(s.place, node, schema)
    if isinstance(node, ast.TruncateStmt):
        out = []
        for rv in node.relations or ():
            rel = _rel(rv)
            out.append(_loss(s.place, rel, None, f"rows of {rel.label} emptied", schema))
        return out
    if isinstance(node, ast.RenameStmt) and node.renameType is not None:
        return _enum_rename(s.place, node, schema)
    return []


def _check(rel: Rel, *args: Any, **kwargs: Any) -> Check:
    """A check on ``rel`` as the statement names it (the expressions read that name)."""
    kwargs["alias"] = rel.name
    return Check(*args, **kwargs)


def _loss(place: Place, rel: Rel, col: str | None, what: str, schema: _Schema) -> Check:
    today = schema.today(rel)
    if col is not None:
        if (*rel.key, col) in schema.added:
            return _check(
                rel,
                LOSS,
                WARNING,
                place,
                today,
                f"{rel.label}.{col}",
                what,
                reason="the column is added by a pending migration",
            )
        cond = f"{quote(rel.name)}.{quote(schema.column_today(rel, col))} IS NOT NULL"
        return _check(
            rel, LOSS, WARNING, place, today, f"{rel.label}.{col}", what, cond, column=col, reason=schema.why_not(rel)
        )
    return _check(rel, LOSS, WARNING, place, today, rel.label, what, "true", reason=schema.why_not(rel))


def _drops(place: Place, node: Any, schema: _Schema) -> list[Check]:
    from pglast.enums import ObjectType

    if node.removeType != ObjectType.OBJECT_TABLE:
        return []
    out = []
    for obj in node.objects or ():
        names = _name_list(obj)
        rel = Rel(names[-2] if len(names) > 1 else None, names[-1])
        out.append(_loss(place, rel, None, f"rows of {rel.label} dropped", schema))
    return out


def _enum_rename(place: Place, node: Any, schema: _Schema) -> list[Check]:
    return []  # renaming an enum value changes no row's meaning to the server: nothing to count here


def _col_checks_ok(place: Place, rel: Rel, cols: list[str], schema: _Schema) -> str | None:
    """Why columns ``cols`` of ``rel`` cannot be judged on today's rows (None: they can)."""
    for col in cols:
        k = (*rel.key, col)
        if k in schema.dropped_cols:
            return f"the column {col} is dropped by {_at(schema.dropped_cols[k])}"
        if k in schema.retyped:
            return f"the column {col} changes type in {_at(schema.retyped[k])} first"
    return None


def _value_of(rel: Rel, col: str, schema: _Schema) -> str:
    """The column as an expression on today's rows: a column added by a pending statement is its default."""
    added = schema.added.get((*rel.key, col))
    if added is not None:
        return f"({added.default_sql})" if added.default_sql is not None else "NULL"
    return f"{quote(rel.name)}.{quote(schema.column_today(rel, col))}"


def _not_null(place: Place, rel: Rel, cols: list[str], schema: _Schema, what: str) -> Check:
    today = schema.today(rel)
    reason = schema.why_not(rel) or _col_checks_ok(place, rel, cols, schema)
    cond = " OR ".join(f"{_value_of(rel, c, schema)} IS NULL" for c in cols)
    obj = f"{rel.label}.{cols[0]}" if len(cols) == 1 else f"{rel.label} ({', '.join(cols)})"
    return _check(
        rel, NOT_NULL, ERROR, place, today, obj, what, cond, column=cols[0] if len(cols) == 1 else None, reason=reason
    )


def _unique(
    place: Place,
    rel: Rel,
    name: str,
    exprs: list[str],
    schema: _Schema,
    *,
    nulls_distinct: bool = True,
    extra: str = "",
    cols: list[str] | None = None,
) -> Check:
    today = schema.today(rel)
    reason = schema.why_not(rel)
    if cols is not None:  # plain columns: follow renames, added columns by their default
        reason = reason or _col_checks_ok(place, rel, cols, schema)
        exprs = [_value_of(rel, c, schema) for c in cols]
    elif any((*rel.key, c) in schema.added or (*rel.key, c) in schema.col_renamed for c in _quoted_names(exprs)):
        reason = reason or "an index expression reads a column a pending statement adds or renames"
    cond = " AND ".join(f"{e} IS NOT NULL" for e in exprs) if nulls_distinct else "true"
    return _check(
        rel,
        UNIQUE,
        ERROR,
        place,
        today,
        name,
        f"duplicate keys for {name} on {rel.label}",
        cond + extra,
        tuple(exprs),
        reason=reason,
    )


def _quoted_names(exprs: list[str]) -> list[str]:
    return [e[1:-1].replace('""', '"') for e in exprs if e.startswith('"') and e.endswith('"')]


def _alter_cmd(place: Place, rel: Rel, cmd: Any, schema: _Schema) -> list[Check]:
    from pglast import ast
    from pglast.enums import AlterTableType as T

    sub = cmd.subtype
    if sub == T.AT_SetNotNull and cmd.name:
        return [_not_null(place, rel, [str(cmd.name)], schema, f"NULL in {rel.label}.{cmd.name}")]
    if sub == T.AT_AddColumn and isinstance(cmd.def_, ast.ColumnDef):
        return _add_column(place, rel, cmd.def_, schema)
    if sub == T.AT_DropColumn and cmd.name:
        return [_loss(place, rel, str(cmd.name), f"non-null values of {rel.label}.{cmd.name} dropped", schema)]
    if sub == T.AT_AlterColumnType and cmd.name and isinstance(cmd.def_, ast.ColumnDef):
        return _retype(place, rel, str(cmd.name), cmd.def_, schema)
    if sub == T.AT_AddConstraint and isinstance(cmd.def_, ast.Constraint):
        return _constraint(place, rel, cmd.def_, schema)
    if sub == T.AT_ValidateConstraint and cmd.name:
        con = schema.not_valid.get((*rel.key, str(cmd.name)))
        if con is None:
            return []  # a NOT VALID constraint made before: its definition is on the target, not in the folder
        return _constraint(place, rel, con, schema, validating=True)
    return []


def _add_column(place: Place, rel: Rel, col: Any, schema: _Schema) -> list[Check]:
    from pglast.enums import ConstrType as C

    name = str(col.colname)
    cons = list(col.constraints or ())
    has_default = any(c.contype in (C.CONSTR_DEFAULT, C.CONSTR_IDENTITY, C.CONSTR_GENERATED) for c in cons)
    has_default = has_default or _serial(col)
    not_null = any(c.contype in (C.CONSTR_NOTNULL, C.CONSTR_PRIMARY) for c in cons)
    if not not_null or has_default:
        return []
    today = schema.today(rel)
    what = f"rows that get NULL in the new column {rel.label}.{name} (NOT NULL, no default)"
    return [
        _check(
            rel,
            NOT_NULL,
            ERROR,
            place,
            today,
            f"{rel.label}.{name}",
            what,
            "true",
            column=name,
            reason=schema.why_not(rel),
        )
    ]


def _serial(col: Any) -> bool:
    names = _name_list(col.typeName.names if col.typeName is not None else ())
    return bool(names) and names[-1].lower() in ("serial", "bigserial", "smallserial", "serial4", "serial8", "serial2")


def _retype(place: Place, rel: Rel, col: str, cdef: Any, schema: _Schema) -> list[Check]:
    from pglast import ast

    today = schema.today(rel)
    target = _type_sql(cdef.typeName)
    names = _name_list(cdef.typeName.names)
    obj = f"{rel.label}.{col}"
    what = f"values of {obj} that do not convert to {target}"
    reason = schema.why_not(rel)
    using = cdef.raw_default
    assignment = using is None
    # USING col::type (drizzle-kit's form) reads the column itself
    if (
        isinstance(using, ast.TypeCast)
        and list(_column_refs(using.arg)) == [col]
        and isinstance(using.arg, ast.ColumnRef)
    ):
        using = None
    labels = schema.enums.get(_type_key(names))
    if labels is not None:  # an enum a pending statement (re)creates: its labels are known here, not on the target
        if using is not None:
            reason = reason or "the USING expression converts to a type a pending statement creates; not evaluated"
        if (*rel.key, col) in schema.added:
            reason = reason or "the column is added by a pending migration"
        src = f"{quote(rel.name)}.{quote(schema.column_today(rel, col))}"
        cond = f"{src} IS NOT NULL AND ({src})::text NOT IN ({', '.join(literal(x) for x in labels)})"
        return [
            _check(
                rel,
                CAST,
                ERROR,
                place,
                today,
                obj,
                f"values of {obj} not among the labels of {target}",
                cond,
                source=src,
                target_type=target,
                column=col,
                reason=reason,
                source_is_column=using is None,
                assignment=assignment,
            )
        ]
    if (*rel.key, col) in schema.added:
        reason = reason or "the column is added by a pending migration"
    reason = reason or _col_checks_ok(place, rel, [col], schema)
    if using is not None:
        refs = set(_column_refs(using))
        if any(
            (*rel.key, c) in schema.added or (*rel.key, c) in schema.retyped or (*rel.key, c) in schema.col_renamed
            for c in refs
        ):
            reason = reason or "the USING expression reads a column a pending statement adds, renames or retypes"
        src = f"({_expr_sql(using)})"
    else:
        src = f"{quote(rel.name)}.{quote(schema.column_today(rel, col))}"
    if names and names[-1].lower() in ("varchar", "bpchar") and cdef.typeName.typmods:
        n = _expr_sql(cdef.typeName.typmods[0])
        cond = f"{src} IS NOT NULL AND char_length(rtrim(({src})::text)) > {n}"
        return [
            _check(
                rel,
                CAST,
                ERROR,
                place,
                today,
                obj,
                f"values of {obj} longer than {n}",
                cond,
                source=src,
                target_type=target,
                column=col,
                reason=reason,
                source_is_column=using is None,
                assignment=assignment,
            )
        ]
    return [
        _check(
            rel,
            CAST,
            ERROR,
            place,
            today,
            obj,
            what,
            None,
            source=src,
            target_type=target,
            column=col,
            reason=reason,
            source_is_column=using is None,
            assignment=assignment,
        )
    ]


def _constraint(place: Place, rel: Rel, con: Any, schema: _Schema, *, validating: bool = False) -> list[Check]:
    from pglast.enums import ConstrType as C

    name = str(con.conname or con.contype.name.lower())
    if con.skip_validation and not validating:
        return []  # NOT VALID: existing rows are not checked now (VALIDATE CONSTRAINT is)
    if con.contype in (C.CONSTR_UNIQUE, C.CONSTR_PRIMARY):
        if con.indexname:  # USING INDEX: the index exists and is unique already
            return []
        cols = [str(k.sval) for k in con.keys or ()]
        out = []
        if con.contype == C.CONSTR_PRIMARY:
            out.append(_not_null(place, rel, cols, schema, f"NULL in the primary key columns of {rel.label}"))
        exprs = [quote(c) for c in cols]
        out.append(_unique(place, rel, name, exprs, schema, nulls_distinct=not con.nulls_not_distinct, cols=cols))
        return out
    if con.contype == C.CONSTR_FOREIGN:
        return [_foreign_key(place, rel, name, con, schema)]
    if con.contype == C.CONSTR_CHECK and con.raw_expr is not None:
        today = schema.today(rel)
        refs = set(_column_refs(con.raw_expr))
        reason = schema.why_not(rel) or _col_checks_ok(place, rel, sorted(refs), schema)
        if any((*rel.key, c) in schema.added or (*rel.key, c) in schema.col_renamed for c in refs):
            reason = reason or "the expression reads a column a pending statement adds or renames"
        cond = f"NOT ({_expr_sql(con.raw_expr)})"
        return [
            _check(rel, CHECK, ERROR, place, today, name, f"rows violating {name} on {rel.label}", cond, reason=reason)
        ]
    return []


def _foreign_key(place: Place, rel: Rel, name: str, con: Any, schema: _Schema) -> Check:
    today = schema.today(rel)
    cols = [str(k.sval) for k in con.fk_attrs or ()]
    parent = _rel(con.pktable)
    pcols = [str(k.sval) for k in con.pk_attrs or ()]
    what = f"rows of {rel.label} whose ({', '.join(cols)}) has no match in {parent.label}"
    reason = schema.why_not(rel) or _col_checks_ok(place, rel, cols, schema)
    vals = [_value_of(rel, c, schema) for c in cols]
    if con.fk_matchtype == "f":  # MATCH FULL: all NULL passes; some NULL fails
        present = "NOT (" + " AND ".join(f"{v} IS NULL" for v in vals) + ")"
    else:
        present = " AND ".join(f"{v} IS NOT NULL" for v in vals)
    if parent.key in schema.created and parent.key not in schema.written:
        return _check(rel, FOREIGN_KEY, ERROR, place, today, name, what, present, reason=reason)
    if not pcols:
        reason = reason or "REFERENCES without columns: the referenced key is on the target, not in the statement"
    elif schema.why_not(parent, "constraint is added") is not None:
        reason = reason or f"{parent.label}: {schema.why_not(parent, 'constraint is added')}"
    else:
        reason = reason or _col_checks_ok(place, parent, pcols, schema)
    ptoday = schema.today(parent)
    match = " AND ".join(
        f"gtsd_parent.{quote(schema.column_today(parent, pc))} = {v}" for pc, v in zip(pcols, vals, strict=False)
    )
    cond = f"{present} AND NOT EXISTS (SELECT 1 FROM {ptoday.sql} AS gtsd_parent WHERE {match or 'true'})"
    return _check(rel, FOREIGN_KEY, ERROR, place, today, name, what, cond, reason=reason)


# ---- what a statement changes for the ones after it ---------------------------------------------


def _record(s: Statement, schema: _Schema) -> None:
    from pglast import ast
    from pglast.enums import AlterTableType as T
    from pglast.enums import ObjectType

    node, place = s.node, s.place
    if isinstance(node, ast.CreateStmt) and node.relation is not None:
        schema.created[_rel(node.relation).key] = place
        schema.dropped.pop(_rel(node.relation).key, None)
    elif isinstance(node, ast.CreateTableAsStmt) and node.into is not None and node.into.rel is not None:
        schema.created[_rel(node.into.rel).key] = place
        schema.written[_rel(node.into.rel).key] = place  # it has rows
    elif isinstance(node, ast.InsertStmt | ast.UpdateStmt | ast.DeleteStmt) and node.relation is not None:
        schema.written.setdefault(_rel(node.relation).key, place)
    elif isinstance(node, ast.TruncateStmt):
        for rv in node.relations or ():
            schema.written.setdefault(_rel(rv).key, place)
    elif isinstance(node, ast.DropStmt) and node.removeType == ObjectType.OBJECT_TABLE:
        for obj in node.objects or ():
            names = _name_list(obj)
            schema.dropped[Rel(names[-2] if len(names) > 1 else None, names[-1]).key] = place
    elif isinstance(node, ast.DropStmt) and node.removeType == ObjectType.OBJECT_TYPE:
        for obj in node.objects or ():
            tn = obj if isinstance(obj, ast.TypeName) else None
            if tn is not None:
                schema.enums.pop(_type_key(_name_list(tn.names)), None)
    elif isinstance(node, ast.CreateEnumStmt):
        schema.enums[_type_key(_name_list(node.typeName))] = [str(v.sval) for v in node.vals or ()]
    elif isinstance(node, ast.AlterEnumStmt) and node.newVal and not node.oldVal:
        labels = schema.enums.get(_type_key(_name_list(node.typeName)))
        if labels is not None:
            labels.append(str(node.newVal))
    elif isinstance(node, ast.AlterEnumStmt) and node.oldVal and node.newVal:
        labels = schema.enums.get(_type_key(_name_list(node.typeName)))
        if labels is not None and str(node.oldVal) in labels:
            labels[labels.index(str(node.oldVal))] = str(node.newVal)
    elif isinstance(node, ast.RenameStmt) and node.relation is not None:
        rel = _rel(node.relation)
        if node.renameType == ObjectType.OBJECT_TABLE and node.newname:
            new = Rel(rel.schema, str(node.newname))
            schema.renamed[new.key] = schema.today(rel).name
            for store in (schema.created, schema.written):
                if rel.key in store:
                    store[new.key] = store[rel.key]
        elif node.renameType == ObjectType.OBJECT_COLUMN and node.subname and node.newname:
            was = (*rel.key, str(node.subname))
            now = (*rel.key, str(node.newname))
            schema.col_renamed[now] = schema.col_renamed.get(was, str(node.subname))
            if was in schema.added:
                schema.added[now] = schema.added.pop(was)
    elif isinstance(node, ast.AlterTableStmt) and node.relation is not None:
        rel = _rel(node.relation)
        for cmd in node.cmds or ():
            key = (*rel.key, str(cmd.name or ""))
            if cmd.subtype == T.AT_AddColumn and isinstance(cmd.def_, ast.ColumnDef):
                schema.added[(*rel.key, str(cmd.def_.colname))] = _Column(_default_sql(cmd.def_), place)
            elif cmd.subtype == T.AT_DropColumn:
                schema.dropped_cols[key] = place
            elif cmd.subtype == T.AT_AlterColumnType:
                schema.retyped[key] = place
            elif cmd.subtype == T.AT_AddConstraint and isinstance(cmd.def_, ast.Constraint):
                con = cmd.def_
                if con.skip_validation and con.conname:
                    schema.not_valid[(*rel.key, str(con.conname))] = con


def _default_sql(col: Any) -> str | None:
    from pglast.enums import ConstrType as C

    for c in col.constraints or ():
        if c.contype == C.CONSTR_DEFAULT and c.raw_expr is not None:
            return _expr_sql(c.raw_expr)
    return None


def pending_checks(steps: list[Step], folder_path: Any) -> list[Check]:
    """Every check of the pending steps (see the module's docstring)."""
    return derive(statements(steps, folder_path))


def with_reason(c: Check, reason: str) -> Check:
    return replace(c, reason=reason)
