"""Footprints of hand-written SQL (a ``--custom`` migration), in drizzle-kit 1.0's node vocabulary.

drizzle-kit stores ``footprints: []`` for a custom migration, so its ``check`` treats the SQL as
touching nothing. Where the snapshot says nothing we read the SQL with pglast and build the
footprints drizzle-kit would have built for the same changes (``created``: ``s|``/``n|``/``e|`` nodes
written; DML reads the table and the columns it names), so a hand-written change that collides
with a generated one on the other branch is seen. drizzle-kit does not see these: they are
reported as ``overlap`` warnings, never as a refusal.
"""

from __future__ import annotations

from typing import Any

from gtsd_tui.core.sql.pglast_load import ensure_pglast


def _created(kind: str, *path: str) -> list[str]:
    p = ".".join(path)
    return [f"s|{kind}|{p}", f"n|{kind}|{p}", f"e|{kind}|{p}"]


def _rel(node: Any) -> tuple[str, str]:
    return (node.schemaname or "public", node.relname)


def _fp(kind: str, target: list[str], writes: list[str], reads: list[str]) -> dict[str, Any]:
    return {"statementType": kind, "statementTarget": target, "writes": writes, "reads": reads}


def _under(schema: str, table: str) -> list[str]:
    return [f"n|tbl|{schema}.{table}", f"n|sch|{schema}"]


def _alter(stmt: Any) -> list[dict[str, Any]]:
    ensure_pglast()
    from pglast.enums import AlterTableType as T

    schema, table = _rel(stmt.relation)
    out = []
    for cmd in stmt.cmds or ():
        col = cmd.name or (getattr(cmd.def_, "colname", None) if cmd.def_ is not None else None)
        target = ["column", schema, table, col or table]
        if cmd.subtype in (T.AT_AddColumn, T.AT_DropColumn) and col:
            kind = "add_column" if cmd.subtype == T.AT_AddColumn else "drop_column"
            out.append(_fp(kind, target, _created("col", schema, table, col), _under(schema, table)))
        elif col:
            props = {
                T.AT_AlterColumnType: ["type", "default"],
                T.AT_ColumnDefault: ["default"],
                T.AT_SetNotNull: ["notNull"],
                T.AT_DropNotNull: ["notNull"],
            }.get(cmd.subtype, ["type", "default", "notNull"])
            writes = [f"s|colprop|{schema}.{table}.{col}.{p}" for p in props]
            reads = [*_under(schema, table), f"n|col|{schema}.{table}.{col}"]
            out.append(_fp("alter_column", target, writes, reads))
        else:  # constraints and table-wide changes: the table itself
            out.append(_fp("alter_table", ["table", schema, table], [f"s|tbl|{schema}.{table}"], _under(schema, table)))
    return out


def statement_footprints(stmt: Any) -> list[dict[str, Any]]:
    ensure_pglast()
    from pglast.enums import ObjectType as O

    kind = type(stmt).__name__
    if kind == "CreateStmt":
        schema, table = _rel(stmt.relation)
        return [_fp("create_table", ["table", schema, table], _created("tbl", schema, table), [f"n|sch|{schema}"])]
    if kind == "AlterTableStmt" and stmt.relation is not None:
        return _alter(stmt)
    if kind == "DropStmt" and stmt.removeType in (O.OBJECT_TABLE, O.OBJECT_INDEX):
        out = []
        for obj in stmt.objects or ():
            names = [getattr(n, "sval", "") for n in obj]
            schema, name = (names[-2], names[-1]) if len(names) > 1 else ("public", names[-1])
            k = "tbl" if stmt.removeType == O.OBJECT_TABLE else "idx"
            out.append(
                _fp(f"drop_{'table' if k == 'tbl' else 'index'}", [k, schema, name], _created(k, schema, name), [])
            )
        return out
    if kind == "RenameStmt" and stmt.relation is not None:
        schema, table = _rel(stmt.relation)
        if stmt.renameType == O.OBJECT_COLUMN:
            writes = _created("col", schema, table, stmt.subname) + _created("col", schema, table, stmt.newname)
            return [_fp("rename_column", ["column", schema, table, stmt.subname], writes, _under(schema, table))]
        if stmt.renameType == O.OBJECT_TABLE:
            writes = _created("tbl", schema, table) + _created("tbl", schema, stmt.newname)
            return [_fp("rename_table", ["table", schema, table], writes, [f"n|sch|{schema}"])]
    if kind == "IndexStmt" and stmt.relation is not None:
        schema, table = _rel(stmt.relation)
        cols = [f"n|col|{schema}.{table}.{p.name}" for p in stmt.indexParams or () if getattr(p, "name", None)]
        name = stmt.idxname or f"{table}_idx"
        return [
            _fp(
                "create_index",
                ["index", schema, table, name],
                _created("idx", schema, name),
                _under(schema, table) + cols,
            )
        ]
    if kind in ("InsertStmt", "UpdateStmt", "DeleteStmt") and stmt.relation is not None:
        schema, table = _rel(stmt.relation)
        names = [c.name for c in (stmt.cols if kind == "InsertStmt" else getattr(stmt, "targetList", None)) or ()]
        reads = _under(schema, table) + [f"n|col|{schema}.{table}.{c}" for c in names if c]
        return [_fp(kind.removesuffix("Stmt").lower(), ["table", schema, table], [], reads)]
    return []


def sql_footprints(text: str) -> list[dict[str, Any]]:
    """Footprints of every statement pglast understands; unparsable SQL gives none."""
    from gtsd_tui.core.sql.sqlinfo import SyntaxProblem, parse

    found = parse(text)
    if isinstance(found, SyntaxProblem):
        return []
    out: list[dict[str, Any]] = []
    for st in found:
        out += statement_footprints(st.node)
    return out
