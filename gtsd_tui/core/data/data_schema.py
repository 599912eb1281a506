"""The schema the pending statements will meet, statement after statement, for the data checks of
:mod:`gtsd_tui.core.data.data_rules`: tables and columns earlier pending statements create, rename, retype,
drop or write to, and the enum labels they define. Also the pending statements themselves, parsed with
pglast, each with its ``file:line:col``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from gtsd_tui.core.data.data_checks import NO_ROWS, Place, Rel, quote
from gtsd_tui.core.migrations.hashing import line_col
from gtsd_tui.core.migrations.plan import Step
from gtsd_tui.core.sql.pglast_load import ensure_pglast
from gtsd_tui.core.sql.stmt_split import display_text, statement_chunks


@dataclass
class NewColumn:
    default_sql: str | None  # the default a new column gets (None: NULL)
    place: Place


@dataclass
class Schema:
    created: dict[tuple[str, str], Place] = field(default_factory=dict)  # tables made by pending statements
    dropped: dict[tuple[str, str], Place] = field(default_factory=dict)
    written: dict[tuple[str, str], Place] = field(default_factory=dict)  # rows changed by pending DML
    renamed: dict[tuple[str, str], str] = field(default_factory=dict)  # new table key -> today's name
    added: dict[tuple[str, str, str], NewColumn] = field(default_factory=dict)
    col_renamed: dict[tuple[str, str, str], str] = field(default_factory=dict)  # new -> today's name
    retyped: dict[tuple[str, str, str], Place] = field(default_factory=dict)
    dropped_cols: dict[tuple[str, str, str], Place] = field(default_factory=dict)
    enums: dict[str, list[str]] = field(default_factory=dict)  # enum types made by pending statements
    not_valid: dict[tuple[str, str, str], Any] = field(default_factory=dict)  # (schema, table, con) -> Constraint
    on_target: dict[tuple[str, str, str], str] = field(default_factory=dict)  # its pg_get_constraintdef there
    enum_columns: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)  # enum SQL -> its columns

    def today(self, rel: Rel) -> Rel:
        name = self.renamed.get(rel.key)
        return Rel(rel.schema, name) if name else rel

    def column_today(self, rel: Rel, col: str) -> str:
        return self.col_renamed.get((*rel.key, col), col)

    def columns_changed(self, rel: Rel, cols: list[str]) -> str | None:
        """Why columns ``cols`` of ``rel`` cannot be judged on today's rows (None: they can)."""
        for col in cols:
            k = (*rel.key, col)
            if k in self.dropped_cols:
                return f"the column {col} is dropped by {at(self.dropped_cols[k])}"
            if k in self.retyped:
                return f"the column {col} changes type in {at(self.retyped[k])} first"
        return None

    def value_of(self, rel: Rel, col: str) -> str:
        """The column as an expression on today's rows: a column added by a pending statement is its default."""
        added = self.added.get((*rel.key, col))
        if added is not None:
            return f"({added.default_sql})" if added.default_sql is not None else "NULL"
        return f"{quote(rel.name)}.{quote(self.column_today(rel, col))}"

    def why_not(self, rel: Rel, verb: str = "runs") -> str | None:
        """Why today's rows of ``rel`` are not the rows the statement meets (None: they are)."""
        k = rel.key
        if k in self.dropped:
            return f"the table is dropped by {at(self.dropped[k])} before this {verb}"
        if k in self.written:  # before "created": a table made and filled by pending statements has rows
            return (
                f"its rows are changed by {at(self.written[k])} before this {verb}; "
                "today's rows are not the ones it meets"
            )
        if k in self.created:
            return f"{NO_ROWS}: the table is created by {at(self.created[k])}"
        return None


def at(p: Place) -> str:
    return f"{p.tag} ({p.where})"


def type_sql(type_name: Any) -> str:
    ensure_pglast()
    from pglast.stream import RawStream

    return str(RawStream()(type_name))


def expr_sql(node: Any) -> str:
    ensure_pglast()
    from pglast.stream import RawStream

    return str(RawStream()(node))


def rel_of(rv: Any) -> Rel:
    return Rel(str(rv.schemaname) if rv.schemaname else None, str(rv.relname))


def name_list(names: Any) -> list[str]:
    return [str(getattr(n, "sval", "")) for n in names or ()]


def type_key(names: list[str]) -> str:
    return ".".join(names[1:] if len(names) > 1 and names[0] == "public" else names)


def column_refs(node: Any) -> Iterator[str]:
    """The bare column names an expression reads."""
    ensure_pglast()
    from pglast import ast

    if isinstance(node, ast.ColumnRef):
        fields = [f for f in node.fields or () if isinstance(f, ast.String)]
        if fields:
            yield str(fields[-1].sval)
        return
    if isinstance(node, ast.Node):
        for name in node:
            yield from column_refs(getattr(node, name))
    elif isinstance(node, tuple | list):
        for item in node:
            yield from column_refs(item)


@dataclass(frozen=True)
class Statement:
    place: Place
    node: Any  # the pglast statement node


# A chunk's leading keywords tell its kind without a parse when it holds one statement. IGNORED: kinds
# neither :func:`record` nor the rules look at (``CREATE INDEX`` without ``UNIQUE`` is a plain IndexStmt,
# ``DO`` a DoStmt, ...); RECORDED: kinds :func:`record` follows but no rule checks. A plan whose chunks all
# have one of these kinds has no data check, so nothing is parsed (pglast is not even loaded). Any other
# beginning (a comment between keywords, ``WITH``, ``CREATE UNIQUE INDEX``, ``ALTER ...``) is parsed.
IGNORED = frozenset(
    {
        ("CREATE", "INDEX"),
        ("CREATE", "SEQUENCE"),
        ("CREATE", "SCHEMA"),
        ("CREATE", "EXTENSION"),
        ("CREATE", "FUNCTION"),
        ("CREATE", "VIEW"),
        ("CREATE", "TRIGGER"),
        ("CREATE", "POLICY"),
        ("COMMENT", "ON"),
        ("DO",),
        ("GRANT",),
        ("REVOKE",),
    }
)
RECORDED = frozenset({("CREATE", "TABLE"), ("CREATE", "TYPE"), ("INSERT",), ("UPDATE",), ("DELETE",)})
_LEAD = re.compile(r"(?:\s|--[^\n]*+)*+([A-Za-z_][A-Za-z0-9_$]*+)(?:\s++([A-Za-z_][A-Za-z0-9_$]*+))?")


def lead_kind(text: str) -> tuple[str, ...] | None:
    """The kind (``IGNORED`` or ``RECORDED``) of a chunk of one statement told by its first keywords;
    () for a blank chunk; None when only a parse can tell (several statements, or another beginning)."""
    if ";" in text.rstrip().rstrip(";"):  # maybe several statements (or a ';' in a literal): parse
        return None
    m = _LEAD.match(text)
    if m is None:
        return () if _blank(text) else None
    first = m.group(1).upper()
    if (first,) in IGNORED or (first,) in RECORDED:
        return (first,)
    pair = (first, (m.group(2) or "").upper())
    return pair if pair in IGNORED or pair in RECORDED else None


def _blank(text: str) -> bool:
    return all(not line.strip() or line.lstrip().startswith("--") for line in text.splitlines())


def may_check(steps: list[Step]) -> bool:
    """False when no pending chunk can give a data check (every one's kind is ignored or only recorded)."""
    return any(lead_kind(c.text) is None for step in steps for c in step.chunks)


def statements(steps: list[Step], folder_path: Any) -> list[Statement]:
    """Every parsable pending statement, in the order ``migrate`` sends them, with its ``file:line:col``;
    the statements the checks never look at are left out (none at all when no statement can be checked)."""
    if not may_check(steps):
        return []
    ensure_pglast()
    import pglast

    out = []
    for step in steps:
        file = str(folder_path / (step.migration.file or step.migration.tag))
        for chunk in step.chunks:
            if lead_kind(chunk.text) in IGNORED:
                continue
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


def record(s: Statement, schema: Schema) -> None:
    ensure_pglast()
    from pglast import ast
    from pglast.enums import AlterTableType as T
    from pglast.enums import ObjectType

    node, place = s.node, s.place
    if isinstance(node, ast.CreateStmt) and node.relation is not None:
        schema.created[rel_of(node.relation).key] = place
        schema.dropped.pop(rel_of(node.relation).key, None)
    elif isinstance(node, ast.CreateTableAsStmt) and node.into is not None and node.into.rel is not None:
        schema.created[rel_of(node.into.rel).key] = place
        schema.written[rel_of(node.into.rel).key] = place  # it has rows
    elif isinstance(node, ast.InsertStmt | ast.UpdateStmt | ast.DeleteStmt) and node.relation is not None:
        schema.written.setdefault(rel_of(node.relation).key, place)
    elif isinstance(node, ast.TruncateStmt):
        for rv in node.relations or ():
            schema.written.setdefault(rel_of(rv).key, place)
    elif isinstance(node, ast.DropStmt) and node.removeType == ObjectType.OBJECT_TABLE:
        for obj in node.objects or ():
            names = name_list(obj)
            schema.dropped[Rel(names[-2] if len(names) > 1 else None, names[-1]).key] = place
    elif isinstance(node, ast.DropStmt) and node.removeType == ObjectType.OBJECT_TYPE:
        for obj in node.objects or ():
            tn = obj if isinstance(obj, ast.TypeName) else None
            if tn is not None:
                schema.enums.pop(type_key(name_list(tn.names)), None)
    elif isinstance(node, ast.CreateEnumStmt):
        schema.enums[type_key(name_list(node.typeName))] = [str(v.sval) for v in node.vals or ()]
    elif isinstance(node, ast.AlterEnumStmt) and node.newVal and not node.oldVal:
        labels = schema.enums.get(type_key(name_list(node.typeName)))
        if labels is not None:
            labels.append(str(node.newVal))
    elif isinstance(node, ast.AlterEnumStmt) and node.oldVal and node.newVal:
        labels = schema.enums.get(type_key(name_list(node.typeName)))
        if labels is not None and str(node.oldVal) in labels:
            labels[labels.index(str(node.oldVal))] = str(node.newVal)
    elif isinstance(node, ast.RenameStmt) and node.relation is not None:
        rel = rel_of(node.relation)
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
        rel = rel_of(node.relation)
        for cmd in node.cmds or ():
            key = (*rel.key, str(cmd.name or ""))
            if cmd.subtype == T.AT_AddColumn and isinstance(cmd.def_, ast.ColumnDef):
                schema.added[(*rel.key, str(cmd.def_.colname))] = NewColumn(default_sql(cmd.def_), place)
            elif cmd.subtype == T.AT_DropColumn:
                schema.dropped_cols[key] = place
            elif cmd.subtype == T.AT_AlterColumnType:
                schema.retyped[key] = place
            elif cmd.subtype == T.AT_AddConstraint and isinstance(cmd.def_, ast.Constraint):
                con = cmd.def_
                if con.skip_validation and con.conname:
                    schema.not_valid[(*rel.key, str(con.conname))] = con


def default_sql(col: Any) -> str | None:
    ensure_pglast()
    from pglast.enums import ConstrType as C

    for c in col.constraints or ():
        if c.contype == C.CONSTR_DEFAULT and c.raw_expr is not None:
            return expr_sql(c.raw_expr)
    return None


def serial_type(col: Any) -> bool:
    names = name_list(col.typeName.names if col.typeName is not None else ())
    return bool(names) and names[-1].lower() in ("serial", "bigserial", "smallserial", "serial4", "serial8", "serial2")


def quoted_names(exprs: list[str]) -> list[str]:
    return [e[1:-1].replace('""', '"') for e in exprs if e.startswith('"') and e.endswith('"')]


def validated(stmts: list[Statement]) -> list[tuple[Rel, str]]:
    """(table, constraint) of every ``VALIDATE CONSTRAINT``: whose definition may be on the target alone."""
    ensure_pglast()
    from pglast import ast
    from pglast.enums import AlterTableType as T

    out = []
    for s in stmts:
        if isinstance(s.node, ast.AlterTableStmt) and s.node.relation is not None:
            rel = rel_of(s.node.relation)
            out += [(rel, str(c.name)) for c in s.node.cmds or () if c.subtype == T.AT_ValidateConstraint and c.name]
    return out


def target_constraint(rel: Rel, name: str, definition: str) -> Any:
    """The Constraint node of a definition read from the target (``FOREIGN KEY (...) REFERENCES ...``)."""
    ensure_pglast()
    import pglast

    try:
        (raw,) = pglast.parse_sql(f"ALTER TABLE {rel.sql} ADD CONSTRAINT {quote(name)} {definition}")
    except (pglast.parser.ParseError, ValueError):
        return None
    stmt: Any = raw.stmt
    return stmt.cmds[0].def_


def enum_sql(names: list[str]) -> str:
    return ".".join(quote(n) for n in names)


def renamed_enums(stmts: list[Statement]) -> list[str]:
    """The enum types (as SQL) an ``ALTER TYPE ... RENAME VALUE`` changes: their columns are on the target."""
    ensure_pglast()
    from pglast import ast

    out: list[str] = []
    for s in stmts:
        if isinstance(s.node, ast.AlterEnumStmt) and s.node.oldVal and s.node.newVal:
            sql = enum_sql(name_list(s.node.typeName))
            out += [] if sql in out else [sql]
    return out
