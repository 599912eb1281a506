"""Drift: the live schema against a migration's snapshot, as a list of differences with their fix.

Both sides are drizzle-kit v7 snapshot bodies (the expected one from ``meta/<prefix>_snapshot.json``
or converted from a v1 ``snapshot.json``; the actual one read from the catalog the way ``drizzle-kit
pull`` reads it). Each object becomes one comparable value after the same normalisation on both
sides: type spellings (``varchar`` / ``character varying``, ``timestamp (3)``), defaults without
their casts, expressions (index columns and predicates, checks) printed back by PostgreSQL's parser
without table qualifiers or casts. The fix of each difference is the statement drizzle-kit 0.31
writes for it (measured: a TypeScript schema, ``generate``, change, ``generate``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from gtsd_tui.core.schema_drift.drift_norm import norm_default, norm_expr, norm_type, strip_parens

# The order of the report and of the fix statements (drizzle-kit's: types and tables first).
KINDS = (
    "schema",
    "enum",
    "sequence",
    "table",
    "column",
    "primary key",
    "unique constraint",
    "check constraint",
    "foreign key",
    "index",
)


@dataclass(frozen=True)
class Obj:
    kind: str
    name: str  # qualified: schema.table[.part]
    value: str  # the normalised definition both sides are compared by
    spec: dict[str, Any] = field(compare=False, repr=False)
    table: dict[str, Any] | None = field(default=None, compare=False, repr=False)
    parts: tuple[tuple[str, str], ...] = ()  # a column's attributes, compared one by one
    key: str = ""  # what is compared when it is not ``value`` (expressions: their parse trees)


@dataclass(frozen=True)
class Difference:
    kind: str
    name: str
    action: str  # missing (in the snapshot, not in the database), extra, changed
    expected: str | None
    actual: str | None
    statements: tuple[str, ...]

    def line(self) -> str:
        if self.action == "missing":
            return f"- {self.kind} {self.name}: missing (expected {self.expected})"
        if self.action == "extra":
            return f"+ {self.kind} {self.name}: not in the snapshot ({self.actual})"
        return f"~ {self.kind} {self.name}: expected {self.expected}, actual {self.actual}"

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "object": self.name,
            "action": self.action,
            "expected": self.expected,
            "actual": self.actual,
            "statements": list(self.statements),
        }


# ---------------------------------------------------------------------------------------------
# the model of a snapshot body


def _schema_of(obj: dict[str, Any]) -> str:
    return str(obj.get("schema") or "public")


def model(snapshot: dict[str, Any]) -> dict[tuple[str, str], Obj]:
    """Every object drift compares, keyed by (kind, qualified name)."""
    out: dict[tuple[str, str], Obj] = {}

    def put(o: Obj) -> None:
        out[(o.kind, o.name)] = o

    for name in (snapshot.get("schemas") or {}).values():
        if name and name != "public":
            put(Obj("schema", str(name), "", {"name": name}))
    for e in (snapshot.get("enums") or {}).values():
        values = [str(v) for v in e.get("values", [])]
        put(Obj("enum", f"{_schema_of(e)}.{e['name']}", ", ".join(_lit(v) for v in values), e))
    for s in (snapshot.get("sequences") or {}).values():
        put(Obj("sequence", f"{_schema_of(s)}.{s['name']}", _seq_value(s, "bigint"), s))
    for t in (snapshot.get("tables") or {}).values():
        _table_model(t, put)
    return out


def _table_model(t: dict[str, Any], put: Any) -> None:
    tname = f"{_schema_of(t)}.{t['name']}"
    put(Obj("table", tname, "", t, t))
    columns = t.get("columns") or {}
    pk_cols = {c for pk in (t.get("compositePrimaryKeys") or {}).values() for c in pk.get("columns", [])}
    for c in columns.values():
        if c.get("primaryKey"):
            pk_cols.add(c["name"])
    for c in columns.values():
        parts = _column_parts(c, c["name"] in pk_cols)
        put(Obj("column", f"{tname}.{c['name']}", _join(parts), c, t, parts))
    single = [c["name"] for c in columns.values() if c.get("primaryKey")]
    if single:
        name = f"{t['name']}_pkey"
        put(Obj("primary key", f"{tname}.{name}", f"({_cols(single)})", {"name": name, "columns": single}, t))
    for pk in (t.get("compositePrimaryKeys") or {}).values():
        put(Obj("primary key", f"{tname}.{pk['name']}", f"({_cols(pk['columns'])})", pk, t))
    for u in (t.get("uniqueConstraints") or {}).values():
        nnd = " NULLS NOT DISTINCT" if u.get("nullsNotDistinct") else ""
        put(Obj("unique constraint", f"{tname}.{u['name']}", f"UNIQUE{nnd} ({_cols(u['columns'])})", u, t))
    for ch in (t.get("checkConstraints") or {}).values():
        value = str(ch["value"])
        put(Obj("check constraint", f"{tname}.{ch['name']}", f"CHECK ({value})", ch, t, key=norm_expr(value)))
    for fk in (t.get("foreignKeys") or {}).values():
        to = f"{fk.get('schemaTo') or 'public'}.{fk['tableTo']}"
        value = (
            f"({_cols(fk['columnsFrom'])}) REFERENCES {to}({_cols(fk['columnsTo'])}) "
            f"ON DELETE {(fk.get('onDelete') or 'no action').lower()} "
            f"ON UPDATE {(fk.get('onUpdate') or 'no action').lower()}"
        )
        put(Obj("foreign key", f"{tname}.{fk['name']}", value, fk, t))
    for ix in (t.get("indexes") or {}).values():
        put(Obj("index", f"{_schema_of(t)}.{ix['name']}", _index_value(ix), ix, t, key=_index_value(ix, norm_expr)))


def _column_parts(c: dict[str, Any], in_pk: bool) -> tuple[tuple[str, str], ...]:
    typ = norm_type(c)
    serial = typ in ("serial", "bigserial", "smallserial")
    ident = c.get("identity")
    not_null = bool(c.get("notNull")) or in_pk or serial or bool(ident)
    parts = [("type", typ), ("not null", "NOT NULL" if not_null else "NULL")]
    gen = c.get("generated")
    if gen:
        parts.append(("generated", f"GENERATED ALWAYS AS ({norm_expr(strip_parens(str(gen.get('as', ''))))})"))
    else:
        default = norm_default(c.get("default"))
        parts.append(("default", f"DEFAULT {default}" if default is not None else "no default"))
    if ident:
        base = typ.removesuffix("[]")
        parts.append(("identity", f"{ident.get('type', 'byDefault')} {_seq_value(ident, base)}"))
    return tuple(parts)


_MAX = {"smallint": "32767", "integer": "2147483647", "bigint": "9223372036854775807"}


def _seq_value(s: dict[str, Any], typ: str) -> str:
    inc = int(str(s.get("increment") or 1))
    lo = str(s.get("minValue") or ("1" if inc > 0 else f"-{_MAX.get(typ, _MAX['bigint'])}"))
    hi = str(s.get("maxValue") or (_MAX.get(typ, _MAX["bigint"]) if inc > 0 else "-1"))
    start = str(s.get("startWith") or (lo if inc > 0 else hi))
    cycle = " CYCLE" if s.get("cycle") else ""
    return f"INCREMENT BY {inc} MINVALUE {lo} MAXVALUE {hi} START WITH {start} CACHE {s.get('cache') or 1}{cycle}"


def _index_value(ix: dict[str, Any], expr_of: Callable[[str], str] = str) -> str:
    """The index as text; ``expr_of`` turns its expressions into what is compared (``norm_expr``)."""
    cols = []
    for c in ix.get("columns") or []:
        expr = expr_of(str(c["expression"])) if c.get("isExpression") else _q(str(c["expression"]))
        asc = c.get("asc", True)
        nulls = c.get("nulls") or ("last" if asc else "first")
        text = (
            expr
            + ("" if asc else " DESC")
            + (f" NULLS {nulls.upper()}" if nulls != ("last" if asc else "first") else "")
        )
        cols.append(text)
    where = f" WHERE {expr_of(str(ix['where']))}" if ix.get("where") else ""
    with_ = ix.get("with") or {}
    opts = f" WITH ({', '.join(f'{k}={v}' for k, v in sorted(with_.items()))})" if with_ else ""
    unique = "UNIQUE " if ix.get("isUnique") else ""
    return f"{unique}USING {ix.get('method') or 'btree'} ({', '.join(cols)}){opts}{where}"


def _opclasses(ix: dict[str, Any]) -> list[str | None]:
    return [c.get("opclass") or None for c in ix.get("columns") or []]


def _join(parts: tuple[tuple[str, str], ...]) -> str:
    return " ".join(v for _, v in parts if v not in ("NULL", "no default"))


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _cols(cols: list[str]) -> str:
    return ",".join(_q(c) for c in cols)


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


# ---------------------------------------------------------------------------------------------
# comparison


def compare(expected: dict[str, Any], actual: dict[str, Any]) -> list[Difference]:
    """The differences of the database (``actual``) from the snapshot (``expected``), in KINDS order."""
    exp, act = model(expected), model(actual)
    gone_tables = {n for (k, n) in exp if k == "table" and (k, n) not in act}
    new_tables = {n for (k, n) in act if k == "table" and (k, n) not in exp}
    out: list[Difference] = []
    for key in sorted(set(exp) | set(act), key=lambda k: (KINDS.index(k[0]), k[1])):
        e, a = exp.get(key), act.get(key)
        if e is not None and a is not None and _same(e, a):
            continue
        owner = _owner(e or a)
        if key[0] != "table" and owner in (gone_tables if a is None else new_tables if e is None else set()):
            continue  # folded into the table's own difference
        out.append(_difference(e, a, exp))
    return out


def _owner(o: Obj | None) -> str | None:
    if o is None or o.table is None or o.kind == "table":
        return None
    return f"{_schema_of(o.table)}.{o.table['name']}"


def _same(e: Obj, a: Obj) -> bool:
    if (e.key or e.value) != (a.key or a.value):
        return False
    if e.kind == "index":  # an operator class named in the snapshot must be the index's
        return all(
            x is None or y is None or x == y for x, y in zip(_opclasses(e.spec), _opclasses(a.spec), strict=False)
        )
    return True


def _difference(e: Obj | None, a: Obj | None, exp: dict[tuple[str, str], Obj]) -> Difference:
    from gtsd_tui.core.schema_drift import drift_sql as ddl

    if e is not None and a is not None:
        return Difference(e.kind, e.name, "changed", _shown(e, a), _shown(a, e), tuple(ddl.alter(e, a, exp)))
    if e is not None:
        return Difference(e.kind, e.name, "missing", _shown(e), None, tuple(ddl.create(e, exp)))
    assert a is not None
    return Difference(a.kind, a.name, "extra", None, _shown(a), tuple(ddl.drop(a)))


def _shown(o: Obj, other: Obj | None = None) -> str:
    if o.kind == "table":
        return "table"
    if o.kind == "schema":
        return "schema"
    if o.kind == "column" and other is not None:  # only the attributes that differ
        theirs = dict(other.parts)
        return " ".join(v for k, v in o.parts if theirs.get(k) != v) or o.value
    if o.kind == "enum":
        return f"({o.value})"
    return o.value
