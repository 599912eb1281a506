"""A drizzle-kit 1.0 (rc.5) ``snapshot.json`` as the v7 body drift compares.

A v1 snapshot is either ``"type": "base"`` with the whole ``ddl`` (a list of entities: schemas,
tables, enums, columns, indexes, fks, pks, uniques, checks, sequences, ...) or ``"type": "diff"``
with ``deltas`` against the previous one (``create`` a row, ``drop`` a key, ``alter`` a key's fields);
the schema at a migration is the base replayed with every later diff up to it, in run order.
"""

from __future__ import annotations

import json
from typing import Any

from gtsd_tui.errors import InputError

_IDENT = ("schema", "table", "name")


def _key(row: dict[str, Any]) -> str:
    """drizzle-kit's key of an entity: its kind and [schema, table, name] (indexes: [schema, name])."""
    kind = str(row.get("entityType"))
    fields = ("schema", "name") if kind == "indexes" else _IDENT
    return kind + "\0" + json.dumps([row[k] for k in fields if k in row], separators=(",", ":"))


def _find(state: dict[str, dict[str, Any]], key: str) -> str | None:
    """The state's key for a delta's key: the same, else the one of that kind, schema and name."""
    key = _norm_key(key)
    if key in state:
        return key
    kind, _, ident = key.partition("\0")
    try:
        parts = json.loads(ident)
    except ValueError:
        return None
    for k, row in state.items():
        same_name = row.get("entityType") == kind and parts and row.get("name") == parts[-1]
        if same_name and row.get("schema", parts[0]) == parts[0]:
            return k
    return None


def _norm_key(key: str) -> str:
    kind, _, ident = key.partition("\0")
    try:
        return kind + "\0" + json.dumps(json.loads(ident), separators=(",", ":"))
    except ValueError:
        return key


def replay(snapshots: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """The entities after every snapshot, in order (each: where it was read, its JSON)."""
    state: dict[str, dict[str, Any]] = {}
    for where, snap in snapshots:
        if snap.get("dialect") not in ("postgres", "postgresql"):
            raise InputError(f"{where}: dialect {snap.get('dialect')!r}; drift reads PostgreSQL snapshots")
        if "ddl" in snap:
            state = {_key(r): dict(r) for r in snap["ddl"]}
            continue
        for d in snap.get("deltas") or []:
            op = d.get("op")
            if op == "create" and isinstance(d.get("row"), dict):
                state[_key(d["row"])] = dict(d["row"])
            elif op == "drop":
                found = _find(state, str(d.get("key")))
                if found is not None:
                    del state[found]
            elif op == "alter":
                found = _find(state, str(d.get("key")))
                if found is not None:
                    state[found].update(d.get("set") or {})
            else:
                raise InputError(f"{where}: unknown delta {op!r}; drift reads drizzle-kit 1.0.0-rc.5 snapshots")
    return list(state.values())


def _action(value: Any) -> str:
    return str(value or "no action").lower()


def v7_of_ddl(ddl: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {"tables": {}, "enums": {}, "schemas": {}, "sequences": {}}
    tables = out["tables"]

    def table(r: dict[str, Any]) -> dict[str, Any]:
        key = f"{r['schema']}.{r['table']}"
        return tables.setdefault(
            key,
            {
                "name": r["table"],
                "schema": r["schema"],
                "columns": {},
                "indexes": {},
                "foreignKeys": {},
                "compositePrimaryKeys": {},
                "uniqueConstraints": {},
                "checkConstraints": {},
            },
        )

    rows = sorted(
        ddl,
        key=lambda r: (
            ["schemas", "tables", "columns"].index(r["entityType"])
            if r["entityType"] in ("schemas", "tables", "columns")
            else 3
        ),
    )
    for r in rows:
        kind = r.get("entityType")
        if kind == "schemas":
            out["schemas"][r["name"]] = r["name"]
        elif kind == "enums":
            out["enums"][f"{r['schema']}.{r['name']}"] = {
                "name": r["name"],
                "schema": r["schema"],
                "values": r["values"],
            }
        elif kind == "sequences":
            out["sequences"][f"{r['schema']}.{r['name']}"] = {
                "name": r["name"],
                "schema": r["schema"],
                "increment": r.get("incrementBy"),
                "startWith": r.get("startWith"),
                "minValue": r.get("minValue"),
                "maxValue": r.get("maxValue"),
                "cache": r.get("cacheSize"),
                "cycle": bool(r.get("cycle")),
            }
        elif kind == "tables":
            table({"schema": r["schema"], "table": r["name"]})
        elif kind == "columns":
            table(r)["columns"][r["name"]] = _column(r)
        elif kind == "pks":
            t = table(r)
            if len(r["columns"]) == 1 and r["name"] == f"{r['table']}_pkey":
                t["columns"][r["columns"][0]]["primaryKey"] = True
            else:
                t["compositePrimaryKeys"][r["name"]] = {"name": r["name"], "columns": r["columns"]}
        elif kind == "uniques":
            table(r)["uniqueConstraints"][r["name"]] = {
                "name": r["name"],
                "columns": r["columns"],
                "nullsNotDistinct": bool(r.get("nullsNotDistinct")),
            }
        elif kind == "checks":
            table(r)["checkConstraints"][r["name"]] = {"name": r["name"], "value": r["value"]}
        elif kind == "fks":
            table(r)["foreignKeys"][r["name"]] = {
                "name": r["name"],
                "tableFrom": r["table"],
                "columnsFrom": r["columns"],
                "schemaTo": r.get("schemaTo"),
                "tableTo": r["tableTo"],
                "columnsTo": r["columnsTo"],
                "onDelete": _action(r.get("onDelete")),
                "onUpdate": _action(r.get("onUpdate")),
            }
        elif kind == "indexes":
            table(r)["indexes"][r["name"]] = _index(r)
    return out


def _column(r: dict[str, Any]) -> dict[str, Any]:
    col: dict[str, Any] = {
        "name": r["name"],
        "type": str(r["type"]) + "[]" * int(r.get("dimensions") or 0),
        "primaryKey": False,
        "notNull": bool(r.get("notNull")),
    }
    if r.get("typeSchema"):
        col["typeSchema"] = r["typeSchema"]
    if r.get("default") is not None:
        col["default"] = r["default"]
    if r.get("generated"):
        col["generated"] = r["generated"]
    ident = r.get("identity")
    if ident:
        col["identity"] = {**ident, "schema": ident.get("schema") or r["schema"]}
    return col


def _index(r: dict[str, Any]) -> dict[str, Any]:
    cols = [
        {
            "expression": c.get("value"),
            "isExpression": bool(c.get("isExpression")),
            "asc": c.get("asc", True),
            "nulls": "first" if c.get("nullsFirst") else "last",
            "opclass": _opclass(c.get("opclass")),
        }
        for c in r.get("columns") or []
    ]
    with_ = r.get("with") or {}
    if isinstance(with_, str):
        with_ = dict(p.strip().split("=", 1) for p in with_.split(",") if "=" in p)
    out = {
        "name": r["name"],
        "columns": cols,
        "isUnique": bool(r.get("isUnique")),
        "method": r.get("method"),
        "with": with_,
    }
    if r.get("where"):
        out["where"] = r["where"]
    return out


def _opclass(value: Any) -> str | None:
    """rc.5 writes ``{"name": "uuid_ops", "default": false}`` (pulled or upgraded snapshots), or null."""
    if isinstance(value, dict):
        return str(value["name"]) if value.get("name") else None
    return str(value) if value else None
