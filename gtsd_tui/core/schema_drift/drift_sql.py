"""The statements that bring a database back to its snapshot, written as drizzle-kit 0.31 writes them.

Each form was measured on drizzle-kit 0.31.11's ``generate`` output (a TypeScript schema changed step
by step): ``CREATE TABLE`` ends with ``);\\n``, ``DROP CONSTRAINT`` of a foreign key and ``CREATE
SCHEMA`` with ``;\\n``, the others with ``;``; tables of ``public`` unqualified, types and sequences
always qualified; index columns joined by ``,`` without a space.
"""

from __future__ import annotations

from typing import Any

Obj = Any  # gtsd_tui.core.schema_drift.drift.Obj (not imported: drift imports this module)
Model = dict[tuple[str, str], Any]


def q(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _schema(obj: dict[str, Any]) -> str:
    return str(obj.get("schema") or "public")


def table_ref(t: dict[str, Any]) -> str:
    s = _schema(t)
    return q(t["name"]) if s == "public" else f"{q(s)}.{q(t['name'])}"


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _default_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def column_type(c: dict[str, Any]) -> str:
    typ = str(c["type"])
    ts = c.get("typeSchema")
    if ts:  # an enum: "mood" in public, "billing"."status" elsewhere; arrays keep their []
        base, dims = typ, ""
        while base.endswith("[]"):
            base, dims = base[:-2], dims + "[]"
        return (q(base) if ts == "public" else f"{q(ts)}.{q(base)}") + dims
    return typ


def _seq_options(s: dict[str, Any]) -> str:
    cycle = " CYCLE" if s.get("cycle") else ""
    return (
        f"INCREMENT BY {s.get('increment', '1')} MINVALUE {s.get('minValue', '1')} "
        f"MAXVALUE {s.get('maxValue')} START WITH {s.get('startWith', '1')} CACHE {s.get('cache', '1')}{cycle}"
    )


def column_def(c: dict[str, Any], *, in_create: bool) -> str:
    """``"name" type [PRIMARY KEY] [DEFAULT x] [GENERATED ...] [NOT NULL]`` as drizzle-kit writes it."""
    parts = [q(c["name"]), column_type(c)]
    if c.get("primaryKey"):
        parts.append("PRIMARY KEY")
    if "default" in c and c["default"] is not None:
        parts.append(f"DEFAULT {_default_text(c['default'])}")
    gen = c.get("generated")
    if gen:
        parts.append(f"GENERATED ALWAYS AS ({gen.get('as')}) STORED")
    ident = c.get("identity")
    if c.get("notNull") and not (ident and in_create):  # CREATE TABLE leaves it to the identity
        parts.append("NOT NULL")
    if ident:
        parts.append(_identity(ident))
    return " ".join(parts)


def _identity(ident: dict[str, Any]) -> str:
    kind = "ALWAYS" if ident.get("type") == "always" else "BY DEFAULT"
    seq = q(ident.get("name", ""))
    if ident.get("schema") and ident["schema"] != "public":
        seq = f"{q(ident['schema'])}.{seq}"
    return f"GENERATED {kind} AS IDENTITY (sequence name {seq} {_seq_options(ident)})"


def create_table(t: dict[str, Any]) -> str:
    lines = [column_def(c, in_create=True) for c in (t.get("columns") or {}).values()]
    for pk in (t.get("compositePrimaryKeys") or {}).values():
        lines.append(f"CONSTRAINT {q(pk['name'])} PRIMARY KEY({','.join(q(c) for c in pk['columns'])})")
    for u in (t.get("uniqueConstraints") or {}).values():
        lines.append(f"CONSTRAINT {q(u['name'])} {_unique(u)}")
    for ch in (t.get("checkConstraints") or {}).values():
        lines.append(f"CONSTRAINT {q(ch['name'])} CHECK ({ch['value']})")
    body = ",\n".join("\t" + line for line in lines)
    return f"CREATE TABLE {table_ref(t)} (\n{body}\n);\n"


def _unique(u: dict[str, Any]) -> str:
    nnd = " NULLS NOT DISTINCT" if u.get("nullsNotDistinct") else ""
    return f"UNIQUE{nnd}({','.join(q(c) for c in u['columns'])})"


def add_fk(t: dict[str, Any], fk: dict[str, Any]) -> str:
    to = f"{q(fk.get('schemaTo') or 'public')}.{q(fk['tableTo'])}"
    return (
        f"ALTER TABLE {table_ref(t)} ADD CONSTRAINT {q(fk['name'])} FOREIGN KEY "
        f"({','.join(q(c) for c in fk['columnsFrom'])}) REFERENCES {to}({','.join(q(c) for c in fk['columnsTo'])}) "
        f"ON DELETE {fk.get('onDelete') or 'no action'} ON UPDATE {fk.get('onUpdate') or 'no action'};"
    )


def create_index(t: dict[str, Any], ix: dict[str, Any]) -> str:
    cols = []
    for c in ix.get("columns") or []:
        text = str(c["expression"]) if c.get("isExpression") else q(c["expression"])
        if c.get("opclass"):
            text += f" {c['opclass']}"
        asc = c.get("asc", True)
        nulls = c.get("nulls") or ("last" if asc else "first")
        if not asc:
            text += " DESC"
        if (asc and nulls == "first") or (not asc and nulls == "last"):
            text += f" NULLS {nulls.upper()}"
        cols.append(text)
    unique = "UNIQUE " if ix.get("isUnique") else ""
    conc = "CONCURRENTLY " if ix.get("concurrently") else ""
    with_ = ix.get("with") or {}
    opts = f" WITH ({', '.join(f'{k}={v}' for k, v in with_.items())})" if with_ else ""
    where = f" WHERE {ix['where']}" if ix.get("where") else ""
    return (
        f"CREATE {unique}INDEX {conc}{q(ix['name'])} ON {table_ref(t)} USING {ix.get('method') or 'btree'} "
        f"({','.join(cols)}){opts}{where};"
    )


def _type_ref(e: dict[str, Any]) -> str:
    return f"{q(_schema(e))}.{q(e['name'])}"


def _drop_constraint(t: dict[str, Any], name: str, *, fk: bool = False) -> str:
    return f"ALTER TABLE {table_ref(t)} DROP CONSTRAINT {q(name)};" + ("\n" if fk else "")


def create(o: Obj, exp: Model) -> list[str]:
    """What creates a missing object (a missing table: with its foreign keys and indexes)."""
    s, t = o.spec, o.table or {}
    if o.kind == "schema":
        return [f"CREATE SCHEMA {q(s['name'])};\n"]
    if o.kind == "enum":
        return [f"CREATE TYPE {_type_ref(s)} AS ENUM({', '.join(_lit(str(v)) for v in s.get('values', []))});"]
    if o.kind == "sequence":
        return [f"CREATE SEQUENCE {q(_schema(s))}.{q(s['name'])} {_seq_options(s)};"]
    if o.kind == "table":
        out = [create_table(s)]
        out += [add_fk(s, fk) for fk in (s.get("foreignKeys") or {}).values()]
        out += [create_index(s, ix) for ix in (s.get("indexes") or {}).values()]
        return out
    if o.kind == "column":
        return [f"ALTER TABLE {table_ref(t)} ADD COLUMN {column_def(s, in_create=False)};"]
    if o.kind == "primary key":
        cols = ",".join(q(c) for c in s["columns"])
        return [f"ALTER TABLE {table_ref(t)} ADD CONSTRAINT {q(s['name'])} PRIMARY KEY({cols});"]
    if o.kind == "unique constraint":
        return [f"ALTER TABLE {table_ref(t)} ADD CONSTRAINT {q(s['name'])} {_unique(s)};"]
    if o.kind == "check constraint":
        return [f"ALTER TABLE {table_ref(t)} ADD CONSTRAINT {q(s['name'])} CHECK ({s['value']});"]
    if o.kind == "foreign key":
        return [add_fk(t, s)]
    if o.kind == "index":
        return [create_index(t, s)]
    return []


def drop(o: Obj) -> list[str]:
    """What removes an object the snapshot does not have."""
    s, t = o.spec, o.table or {}
    if o.kind == "schema":
        return [f"DROP SCHEMA {q(s['name'])};\n"]
    if o.kind == "enum":
        return [f"DROP TYPE {_type_ref(s)};"]
    if o.kind == "sequence":
        return [f"DROP SEQUENCE {q(_schema(s))}.{q(s['name'])};"]
    if o.kind == "table":
        return [f"DROP TABLE {table_ref(s)} CASCADE;"]
    if o.kind == "column":
        return [f"ALTER TABLE {table_ref(t)} DROP COLUMN {q(s['name'])};"]
    if o.kind in ("primary key", "unique constraint", "check constraint", "foreign key"):
        return [_drop_constraint(t, s["name"], fk=o.kind == "foreign key")]
    if o.kind == "index":
        schema = _schema(t)
        return [f"DROP INDEX {q(s['name'])};" if schema == "public" else f"DROP INDEX {q(schema)}.{q(s['name'])};"]
    return []


def alter(e: Obj, a: Obj, exp: Model) -> list[str]:
    """What turns the database's object into the snapshot's."""
    if e.kind == "column":
        return _alter_column(e, a)
    if e.kind == "enum":
        return _alter_enum(e, a, exp)
    if e.kind == "sequence":
        return [f"ALTER SEQUENCE {q(_schema(e.spec))}.{q(e.spec['name'])} {_seq_options(e.spec)};"]
    return drop(a) + create(e, {})


def _alter_column(e: Obj, a: Obj) -> list[str]:
    t, c = e.table or {}, e.spec
    head = f"ALTER TABLE {table_ref(t)} ALTER COLUMN {q(c['name'])}"
    theirs, ours = dict(a.parts), dict(e.parts)
    if ours.get("generated") != theirs.get("generated"):  # drizzle-kit drops and re-adds the column
        return [f"ALTER TABLE {table_ref(t)} DROP COLUMN {q(c['name'])};", *create(e, {})]
    out = []
    for key, value in e.parts:
        if theirs.get(key) == value:
            continue
        if key == "type":
            out.append(f"{head} SET DATA TYPE {column_type(c)};")
        elif key == "default":
            has = "default" in c and c["default"] is not None
            out.append(f"{head} SET DEFAULT {_default_text(c['default'])};" if has else f"{head} DROP DEFAULT;")
        elif key == "not null":
            out.append(f"{head} SET NOT NULL;" if value == "NOT NULL" else f"{head} DROP NOT NULL;")
    if ours.get("identity") != theirs.get("identity"):
        out += [f"{head} {x};" for x in _alter_identity(c.get("identity"), a.spec.get("identity"))]
    return out


_IDENTITY_OPTIONS = (
    ("increment", "INCREMENT BY"),
    ("minValue", "MINVALUE"),
    ("maxValue", "MAXVALUE"),
    ("startWith", "START WITH"),
    ("cache", "CACHE"),
)


def _alter_identity(want: dict[str, Any] | None, have: dict[str, Any] | None) -> list[str]:
    """drizzle-kit's identity statements (measured: DROP IDENTITY, ADD GENERATED ..., SET GENERATED ...,
    SET INCREMENT BY, SET START WITH; the other options by the same pattern)."""
    if not want:
        return ["DROP IDENTITY"]
    if not have:
        return ["ADD " + _identity(want)]
    out = []
    if want.get("type") != have.get("type"):
        out.append("SET GENERATED " + ("ALWAYS" if want.get("type") == "always" else "BY DEFAULT"))
    for key, words in _IDENTITY_OPTIONS:
        if want.get(key) is not None and str(want.get(key)) != str(have.get(key)):
            out.append(f"SET {words} {want[key]}")
    if bool(want.get("cycle")) != bool(have.get("cycle")):
        out.append("SET CYCLE" if want.get("cycle") else "SET NO CYCLE")
    return out


def _alter_enum(e: Obj, a: Obj, exp: Model) -> list[str]:
    want = [str(v) for v in e.spec.get("values", [])]
    have = [str(v) for v in a.spec.get("values", [])]
    ref = _type_ref(e.spec)
    if set(have) <= set(want) and [v for v in want if v in have] == have:  # only values to add
        out = []
        for i, v in enumerate(want):
            if v in have:
                continue
            later = next((w for w in want[i + 1 :] if w in have), None)
            out.append(f"ALTER TYPE {ref} ADD VALUE {_lit(v)}" + (f" BEFORE {_lit(later)};" if later else ";"))
            have.insert(have.index(later) if later else len(have), v)
        return out
    # a value too many or out of order: drizzle-kit's recreation of the type through text
    users = _enum_columns(e, exp)
    out = []
    for t, c in users:
        head = f"ALTER TABLE {table_ref(t)} ALTER COLUMN {q(c['name'])}"
        out.append(f"{head} SET DATA TYPE text;")
        if c.get("default") is not None:
            out.append(f"{head} SET DEFAULT {_default_text(c['default'])}::text;")
    out += [f"DROP TYPE {ref};", f"CREATE TYPE {ref} AS ENUM({', '.join(_lit(v) for v in want)});"]
    for t, c in users:
        head = f"ALTER TABLE {table_ref(t)} ALTER COLUMN {q(c['name'])}"
        if c.get("default") is not None:
            out.append(f"{head} SET DEFAULT {_default_text(c['default'])}::{ref};")
        out.append(f"{head} SET DATA TYPE {ref} USING {q(c['name'])}::{ref};")
    return out


def _enum_columns(e: Obj, exp: Model) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """The snapshot's columns of this enum type, in the snapshot's order."""
    out = []
    for (kind, _), o in exp.items():
        c = o.spec
        if kind == "column" and c.get("typeSchema") == _schema(e.spec) and str(c["type"]) == e.spec["name"]:
            out.append((o.table or {}, c))
    return out
