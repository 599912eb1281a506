"""Three-way merge of drizzle-kit PostgreSQL snapshots, key by key at the level drizzle-kit diffs.

``merge3(base, ours, theirs)`` = base + (ours - base) + (theirs - base): schemas, enums (and the
order of their values), sequences, roles, policies, views, and tables down to their columns,
indexes, foreign keys, primary keys, unique and check constraints, policies and RLS flag. An
object both sides changed differently is a :class:`Clash` (ours is kept in the result). The
result keeps theirs' layout (the moved file's): its key order, with ours' objects added where
drizzle-kit would put them (top-level collections are sorted by key, nested ones in definition
order), so the diff a reviewer sees is only the merged objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

COLLECTIONS = ("tables", "enums", "schemas", "sequences", "roles", "policies", "views")
TABLE_MAPS = (
    "columns",
    "indexes",
    "foreignKeys",
    "compositePrimaryKeys",
    "uniqueConstraints",
    "policies",
    "checkConstraints",
)
KINDS = {
    "tables": "table",
    "enums": "enum",
    "schemas": "schema",
    "sequences": "sequence",
    "roles": "role",
    "policies": "policy",
    "views": "view",
    "columns": "column",
    "indexes": "index",
    "foreignKeys": "foreign key",
    "compositePrimaryKeys": "primary key",
    "uniqueConstraints": "unique constraint",
    "checkConstraints": "check constraint",
    "values": "enum value",
}
SUPPORTED_VERSIONS = ("5", "6", "7")
_MISSING: Any = type("_Missing", (), {"__repr__": lambda self: "<missing>"})()


@dataclass(frozen=True)
class Clash:
    """An object both sides changed differently; definitions are JSON values (None when absent)."""

    kind: str
    name: str
    base: Any
    ours: Any
    theirs: Any
    reason: str
    path: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "object": self.name,
            "reason": self.reason,
            "base": self.base,
            "ours": self.ours,
            "theirs": self.theirs,
        }


@dataclass(frozen=True)
class Change:
    """One of ours' changes the merge brings into theirs: ``+`` added, ``-`` dropped, ``~`` changed."""

    op: str
    kind: str
    name: str
    path: tuple[str, ...]

    def describe(self) -> str:
        return f"{self.op} {self.kind} {self.name}"


@dataclass
class Merged:
    data: dict[str, Any]
    clashes: list[Clash] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)


def version_problem(data: dict[str, Any]) -> str | None:
    """Why this snapshot cannot be merged (an unknown version or dialect), or None."""
    version, dialect = str(data.get("version", "")), data.get("dialect")
    if dialect not in ("postgresql", "pg"):
        return f"dialect {dialect!r} is not PostgreSQL"
    if version not in SUPPORTED_VERSIONS:
        return f"snapshot version {version!r} is unknown (read: {', '.join(SUPPORTED_VERSIONS)})"
    return None


def object_name(path: tuple[str, ...]) -> tuple[str, str]:
    """(kind, display name) of an object path, e.g. ("column", "users.status")."""
    kind = KINDS.get(path[-2], path[-2]) if len(path) >= 2 else "snapshot"
    names = [_short(p) for i, p in enumerate(path) if i % 2 == 1]
    if len(path) % 2 == 1 and len(path) > 1:  # an attribute of an object, e.g. isRLSEnabled
        kind = KINDS.get(path[-3], path[-3]) if len(path) >= 3 else kind
        names.append(path[-1])
    return kind, ".".join(names) if names else "snapshot"


def _short(key: str) -> str:
    return key[len("public.") :] if key.startswith("public.") else key


def merge3(base: dict[str, Any], ours: dict[str, Any], theirs: dict[str, Any]) -> Merged:
    """base + (ours - base) + (theirs - base); id, prevId, version, dialect and _meta from theirs."""
    out = Merged({})
    for key in theirs:
        if key in COLLECTIONS:
            out.data[key] = _merge_map(
                (key,), base.get(key) or {}, ours.get(key) or {}, theirs[key] or {}, out, sort=True
            )
        else:
            out.data[key] = theirs[key]
    for key in COLLECTIONS:
        if key not in out.data and key in ours:
            out.data[key] = _merge_map((key,), base.get(key) or {}, ours[key] or {}, {}, out, sort=True)
    return out


def _level(path: tuple[str, ...]) -> str:
    if len(path) == 2 and path[0] == "tables":
        return "table"
    if len(path) == 2 and path[0] == "enums":
        return "enum"
    return "leaf"


def _merge_map(
    path: tuple[str, ...], b: dict[str, Any], o: dict[str, Any], t: dict[str, Any], out: Merged, sort: bool = False
) -> dict[str, Any]:
    if o in (t, b):
        return t
    keys = list(t)
    extra = [k for k in o if k not in t]
    if extra:
        keys = sorted(keys + extra) if sort and keys == sorted(keys) else keys + extra
    result: dict[str, Any] = {}
    for key in keys:
        value = _merge_entry((*path, key), b.get(key, _MISSING), o.get(key, _MISSING), t.get(key, _MISSING), out)
        if value is not _MISSING:
            result[key] = value
    return result


def _merge_entry(path: tuple[str, ...], b: Any, o: Any, t: Any, out: Merged) -> Any:
    if o in (t, b):
        return t
    level = _level(path)
    if t == b and (level == "leaf" or o is _MISSING or t is _MISSING):
        kind, name = object_name(path)
        op = "+" if b is _MISSING else "-" if o is _MISSING else "~"
        out.changes.append(Change(op, kind, name, path))
        return o
    if o is _MISSING or t is _MISSING:
        gone = "ours" if o is _MISSING else "theirs"
        return _clash(path, b, o, t, out, f"dropped on {gone} side and changed on the other")
    if level == "table" and isinstance(o, dict) and isinstance(t, dict):
        return _merge_table(path, b if isinstance(b, dict) else {}, o, t, out)
    if level == "enum" and isinstance(o, dict) and isinstance(t, dict):
        return _merge_attrs(path, b if isinstance(b, dict) else {}, o, t, out, lists=("values",))
    if b is _MISSING:
        return _clash(path, b, o, t, out, "added on both sides with different definitions")
    if isinstance(b, dict) and isinstance(o, dict) and isinstance(t, dict):
        return _merge_attrs(path, b, o, t, out)
    return _clash(path, b, o, t, out, "changed differently on both sides")


def _merge_table(path: tuple[str, ...], b: dict[str, Any], o: dict[str, Any], t: dict[str, Any], out: Merged) -> Any:
    result: dict[str, Any] = {}
    for key in [*t, *(k for k in o if k not in t)]:
        bv, ov, tv = b.get(key, _MISSING), o.get(key, _MISSING), t.get(key, _MISSING)
        if key in TABLE_MAPS:
            result[key] = _merge_map((*path, key), _d(bv), _d(ov), _d(tv), out)
            continue
        value = _scalar((*path, key), bv, ov, tv, out)
        if value is not _MISSING:
            result[key] = value
    return result


def _d(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _merge_attrs(
    path: tuple[str, ...],
    b: dict[str, Any],
    o: dict[str, Any],
    t: dict[str, Any],
    out: Merged,
    lists: tuple[str, ...] = (),
) -> Any:
    """An object both sides changed: attribute by attribute; any attribute clash is the object's."""
    result: dict[str, Any] = {}
    before = len(out.clashes)
    for key in [*t, *(k for k in o if k not in t)]:
        bv, ov, tv = b.get(key, _MISSING), o.get(key, _MISSING), t.get(key, _MISSING)
        if key in lists and isinstance(ov, list) and isinstance(tv, list):
            value: Any = _merge_values((*path, key), bv if isinstance(bv, list) else [], ov, tv, out)
        else:
            value = _scalar((*path, key), bv, ov, tv, out, report=False)
        if value is not _MISSING:
            result[key] = value
    if len(out.clashes) > before and not lists:
        del out.clashes[before:]
        return _clash(path, b, o, t, out, "changed differently on both sides")
    if not lists and result != t:
        kind, name = object_name(path)
        out.changes.append(Change("~", kind, name, path))
    return result


def _scalar(path: tuple[str, ...], b: Any, o: Any, t: Any, out: Merged, report: bool = True) -> Any:
    if o in (t, b):
        return t
    if t == b:
        if report:
            kind, name = object_name(path)
            out.changes.append(Change("~", kind, name, path))
        return o
    return _clash(path, b, o, t, out, "changed differently on both sides")


def _merge_values(path: tuple[str, ...], b: list[Any], o: list[Any], t: list[Any], out: Merged) -> list[Any]:
    """Enum values as PostgreSQL orders them: theirs' additions go before the value they precede in
    theirs (``ADD VALUE ... BEFORE``), or at the end (a plain ``ADD VALUE``)."""
    if o in (t, b):
        return t
    kept_b = set(b)
    in_o, in_t = set(o), set(t)
    result = [v for v in o if v in in_t or v not in kept_b]
    common = in_o & in_t
    for i, v in enumerate(t):
        if v in kept_b:
            continue
        if v in in_o:
            if _succ(o, o.index(v), common) != _succ(t, i, common):
                _clash((*path, str(v)), _MISSING, o, t, out, "added on both sides at different positions")
            continue
        succ = next((t[j] for j in range(i + 1, len(t)) if t[j] in result), None)
        result.insert(result.index(succ) if succ is not None else len(result), v)
    for v in o:
        if v not in kept_b and v not in in_t:
            kind, name = object_name((*path, str(v)))
            out.changes.append(Change("+", kind, name, (*path, str(v))))
    return result


def _succ(values: list[Any], i: int, common: set[Any]) -> Any:
    return next((values[j] for j in range(i + 1, len(values)) if values[j] in common), None)


def _clash(path: tuple[str, ...], b: Any, o: Any, t: Any, out: Merged, reason: str) -> Any:
    kind, name = object_name(path)

    def show(v: Any) -> Any:
        return None if v is _MISSING else v

    out.clashes.append(Clash(kind, name, show(b), show(o), show(t), reason, path))
    return o


def definition(kind: str, value: Any) -> str:
    """A one-line reading of a definition, e.g. ``text not null default 'x'`` for a column."""
    if value is None:
        return "(absent)"
    if kind == "column" and isinstance(value, dict):
        parts = [str(value.get("type", "?"))]
        if value.get("primaryKey"):
            parts.append("primary key")
        if value.get("notNull"):
            parts.append("not null")
        if "default" in value:
            parts.append(f"default {value['default']}")
        return " ".join(parts)
    if kind == "enum" and isinstance(value, dict):
        return "(" + ", ".join(map(str, value.get("values", []))) + ")"
    if kind == "enum value" and isinstance(value, list):
        return "(" + ", ".join(map(str, value)) + ")"
    import json

    return json.dumps(value, sort_keys=True)
