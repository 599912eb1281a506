"""Write the reverse of a migration as a new forward migration, from pglast's parse trees
(including the statements inside ``DO $$ ... $$`` blocks, read with the PL/pgSQL parser)."""

from __future__ import annotations

from typing import Any

from gtsd_tui.core.migrations.hashing import BREAKPOINT
from gtsd_tui.core.sql.sql_tree import Unparsed, walk_statements


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _rel(rv: dict[str, Any]) -> str:
    schema = rv.get("schemaname")
    return (f"{_q(schema)}." if schema else "") + _q(rv.get("relname", ""))


def _names(items: list[dict[str, Any]]) -> str:
    return ".".join(_q(i.get("String", {}).get("sval", "")) for i in items)


def _reverse(kind: str, node: dict[str, Any]) -> list[str] | None:
    """Statements undoing one statement, [] when it changes nothing, None when it cannot be undone."""
    if kind == "CreateStmt":
        return [f"DROP TABLE IF EXISTS {_rel(node['relation'])} CASCADE;"]
    if kind == "IndexStmt" and node.get("idxname"):
        schema = node.get("relation", {}).get("schemaname")
        return [f"DROP INDEX IF EXISTS {(_q(schema) + '.') if schema else ''}{_q(node['idxname'])};"]
    if kind in ("CreateEnumStmt", "CompositeTypeStmt", "CreateRangeStmt"):
        names = node.get("typeName") or [{"String": {"sval": node.get("typevar", {}).get("relname", "")}}]
        return [f"DROP TYPE IF EXISTS {_names(names)} CASCADE;"]
    if kind == "CreateDomainStmt":
        return [f"DROP DOMAIN IF EXISTS {_names(node.get('domainname', []))} CASCADE;"]
    if kind == "CreateSeqStmt":
        return [f"DROP SEQUENCE IF EXISTS {_rel(node['sequence'])};"]
    if kind == "ViewStmt":
        return [f"DROP VIEW IF EXISTS {_rel(node['view'])};"]
    if kind == "CreateSchemaStmt":
        return [f"DROP SCHEMA IF EXISTS {_q(node.get('schemaname', ''))} CASCADE;"]
    if kind in ("SelectStmt", "VariableSetStmt"):
        return []
    if kind == "AlterTableStmt":
        table = _rel(node["relation"])
        out: list[str] = []
        for item in node.get("cmds") or []:
            cmd = item.get("AlterTableCmd", {})
            sub = cmd.get("subtype")
            definition = cmd.get("def") or {}
            if sub == "AT_AddColumn":
                col = definition.get("ColumnDef", {}).get("colname", "")
                out.append(f"ALTER TABLE IF EXISTS {table} DROP COLUMN IF EXISTS {_q(col)};")
            elif sub == "AT_AddConstraint" and definition.get("Constraint", {}).get("conname"):
                out.append(
                    f"ALTER TABLE IF EXISTS {table} DROP CONSTRAINT IF EXISTS "
                    f"{_q(definition['Constraint']['conname'])};"
                )
            else:
                return None
        return out
    return None


def revert_sql(text: str, tag: str) -> str:
    """The body of the reverting migration: reverse order, a TODO for what cannot be undone."""
    steps: list[list[str]] = []
    for item in walk_statements(text):
        if isinstance(item, Unparsed):
            steps.append([_todo(item.text)])
            continue
        rev = _reverse(item.kind, item.node)
        steps.append(rev if rev is not None else [_todo(item.text)])
    body = [s for step in reversed(steps) for s in step]
    return f"\n{BREAKPOINT}\n".join(body) if body else f"-- {tag}: nothing to revert"


def _todo(statement: str) -> str:
    flat = " ".join(statement.split())
    return f"-- TODO: cannot revert automatically: {flat}"
