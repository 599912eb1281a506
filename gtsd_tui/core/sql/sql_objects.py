"""What a migration's SQL creates, alters or drops, from pglast's parse trees (statements inside
``DO $$ ... $$`` blocks included): the objects two branches' migrations touch, to tell whether
they commute."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from gtsd_tui.core.sql.sql_tree import Parsed, walk_statements

CREATE, ALTER, DROP = "create", "alter", "drop"


@dataclass(frozen=True)
class Touch:
    action: str  # create / alter / drop
    kind: str  # table, column, index, type, enum value, constraint, sequence, view, schema, policy, ...
    name: str  # e.g. "users", "users.status", "mood.happy"
    guarded: bool  # IF [NOT] EXISTS: applying it twice does not fail
    statement: str  # the statement, on one line

    @property
    def key(self) -> tuple[str, str]:
        return self.kind, self.name


def _unq(name: str | None) -> str:
    return name or ""


def _rel(rv: dict[str, Any] | None) -> str:
    rv = rv or {}
    schema = rv.get("schemaname")
    name = _unq(rv.get("relname"))
    return name if not schema or schema == "public" else f"{schema}.{name}"


def _names(items: list[dict[str, Any]] | None) -> str:
    parts = [i.get("String", {}).get("sval", "") for i in items or []]
    if len(parts) > 1 and parts[0] == "public":
        parts = parts[1:]
    return ".".join(parts)


_DROP_KINDS = {
    "OBJECT_TABLE": "table",
    "OBJECT_INDEX": "index",
    "OBJECT_TYPE": "type",
    "OBJECT_SEQUENCE": "sequence",
    "OBJECT_VIEW": "view",
    "OBJECT_MATVIEW": "view",
    "OBJECT_SCHEMA": "schema",
    "OBJECT_DOMAIN": "type",
}


def _touches(kind: str, node: dict[str, Any], text: str) -> list[Touch]:
    flat = " ".join(text.split())
    out: list[Touch] = []

    def add(action: str, what: str, name: str, guarded: Any = False) -> None:
        out.append(Touch(action, what, name, bool(guarded), flat))

    if kind == "CreateStmt":
        table = _rel(node.get("relation"))
        guarded = bool(node.get("if_not_exists"))
        add(CREATE, "table", table, guarded)
        for elt in node.get("tableElts") or []:
            col = elt.get("ColumnDef")
            if col:
                add(CREATE, "column", f"{table}.{col.get('colname')}", guarded)
            con = elt.get("Constraint")
            if con and con.get("conname"):
                add(CREATE, "constraint", f"{table}.{con['conname']}", guarded)
    elif kind == "AlterTableStmt":
        table = _rel(node.get("relation"))
        for item in node.get("cmds") or []:
            cmd = item.get("AlterTableCmd", {})
            sub, definition = cmd.get("subtype"), cmd.get("def") or {}
            guarded = bool(cmd.get("missing_ok"))
            if sub == "AT_AddColumn":
                add(CREATE, "column", f"{table}.{definition.get('ColumnDef', {}).get('colname')}", guarded)
            elif sub == "AT_DropColumn":
                add(DROP, "column", f"{table}.{cmd.get('name')}", guarded)
            elif sub == "AT_AddConstraint":
                name = definition.get("Constraint", {}).get("conname")
                add(CREATE, "constraint", f"{table}.{name}" if name else table)
            elif sub == "AT_DropConstraint":
                add(DROP, "constraint", f"{table}.{cmd.get('name')}", guarded)
            elif cmd.get("name"):
                add(ALTER, "column", f"{table}.{cmd.get('name')}")
            else:
                add(ALTER, "table", table)
    elif kind == "IndexStmt":
        schema = (node.get("relation") or {}).get("schemaname")
        name = _unq(node.get("idxname")) or f"(unnamed on {_rel(node.get('relation'))})"
        add(
            CREATE, "index", name if not schema or schema == "public" else f"{schema}.{name}", node.get("if_not_exists")
        )
    elif kind == "CreateEnumStmt":
        add(CREATE, "type", _names(node.get("typeName")))
    elif kind == "AlterEnumStmt":
        type_name = _names(node.get("typeName"))
        if node.get("newVal") and not node.get("oldVal"):
            add(CREATE, "enum value", f"{type_name}.{node['newVal']}", node.get("skipIfNewValExists"))
        else:
            add(ALTER, "type", type_name)
    elif kind == "CreateSeqStmt":
        add(CREATE, "sequence", _rel(node.get("sequence")), node.get("if_not_exists"))
    elif kind == "ViewStmt":
        add(CREATE, "view", _rel(node.get("view")), node.get("replace"))
    elif kind == "CreateSchemaStmt":
        add(CREATE, "schema", _unq(node.get("schemaname")), node.get("if_not_exists"))
    elif kind == "CreatePolicyStmt":
        add(CREATE, "policy", f"{_rel(node.get('table'))}.{node.get('policy_name')}")
    elif kind == "DropStmt":
        what = _DROP_KINDS.get(node.get("removeType", ""), "object")
        for obj in node.get("objects") or []:
            items = obj.get("List", {}).get("items") if isinstance(obj, dict) else None
            if items is None and isinstance(obj, dict) and "TypeName" in obj:
                items = obj["TypeName"].get("names")
            add(DROP, what, _names(items) if items else "?", node.get("missing_ok"))
    elif kind == "RenameStmt":
        rel = _rel(node.get("relation"))
        sub = node.get("subname")
        add(ALTER, "column" if sub else "table", f"{rel}.{sub}" if sub else rel)
    return out


@lru_cache(maxsize=1024)
def sql_touches(text: str) -> tuple[Touch, ...]:
    """Every object the SQL touches (an unparsable chunk is skipped: lint reports it)."""
    out: list[Touch] = []
    for item in walk_statements(text):
        if isinstance(item, Parsed):
            found = _touches(item.kind, item.node, item.text)
            out += [Touch(x.action, x.kind, x.name, True, x.statement) for x in found] if item.in_do else found
    return tuple(out)


@dataclass(frozen=True)
class Overlap:
    kind: str
    name: str
    certain_failure: bool  # both create it (unguarded): the second one fails
    ours: tuple[str, ...]
    theirs: tuple[str, ...]


def overlaps(ours: list[Touch], theirs: list[Touch]) -> list[Overlap]:
    """Objects both sides touch; a table counts as touched by its columns' and constraints' changes
    only when one side creates, drops or alters the table itself."""
    by_key: dict[tuple[str, str], list[Touch]] = {}
    for t in ours:
        by_key.setdefault(t.key, []).append(t)
    tables_o = {t.name for t in ours if t.kind == "table"}
    out: list[Overlap] = []
    seen: set[tuple[str, str]] = set()
    for t in theirs:
        mine = by_key.get(t.key, [])
        if not mine and t.kind in ("column", "constraint") and t.name.split(".")[0] in tables_o:
            mine = [x for x in ours if x.kind == "table" and x.name == t.name.split(".")[0] and x.action != CREATE]
        if not mine or t.key in seen:
            continue
        seen.add(t.key)
        both = [x for x in theirs if x.key == t.key]
        certain = any(x.action == CREATE and not x.guarded for x in mine) and any(
            x.action == CREATE and not x.guarded for x in both
        )
        certain = certain or (
            any(x.action == DROP and not x.guarded for x in mine)
            and any(x.action == DROP and not x.guarded for x in both)
        )
        out.append(Overlap(t.kind, t.name, certain, tuple(x.statement for x in mine), tuple(x.statement for x in both)))
    return out
