"""The live schema read as a drizzle-kit v7 snapshot body (what ``drizzle-kit pull`` introspects).

Read-only catalog queries (``pg_catalog`` only, no privilege beyond CONNECT needed). Left out: the
system schemas, the tracking schema (``drizzle``; when the tracking table lives in another schema,
only the table and its id sequence), objects that belong to an extension, partitions, and what
drizzle does not model as drift (views, functions, triggers, policies, roles, exclusion constraints).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gtsd_tui.db.status_sql import fingerprint_of

if TYPE_CHECKING:  # not imported: status reads the fingerprint without psycopg too (status_lite.py)
    import psycopg

_SKIP_NS = (
    "n.nspname NOT LIKE 'pg\\_%%' AND n.nspname <> 'information_schema' AND n.nspname <> %(skip_schema)s "
    "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_namespace'::regclass "
    "AND d.objid = n.oid AND d.deptype = 'e')"
)
_NOT_EXT = "NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = {oid} AND d.deptype = 'e')"
_TABLES = (
    "SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    f"WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND {_SKIP_NS} AND {_NOT_EXT.format(oid='c.oid')} "
    "AND NOT (n.nspname = %(track_schema)s AND c.relname = %(track_table)s)"
)

_SCHEMAS = f"SELECT n.nspname FROM pg_namespace n WHERE {_SKIP_NS} AND n.nspname <> 'public'"

_TABLE_ROWS = (
    "SELECT c.oid, n.nspname, c.relname, c.relrowsecurity FROM pg_class c "
    f"JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid IN ({_TABLES})"
)

_COLUMNS = (
    f"WITH tabs AS MATERIALIZED ({_TABLES}), "
    "seqs AS (SELECT d.refobjid, d.refobjsubid, c.oid, c.relname, sn.nspname, d.deptype FROM pg_depend d "
    "JOIN pg_class c ON c.oid = d.objid AND c.relkind = 'S' JOIN pg_namespace sn ON sn.oid = c.relnamespace "
    "WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.refobjsubid > 0 "
    "AND d.deptype IN ('a', 'i')) "
    "SELECT a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, "
    "pg_get_expr(ad.adbin, ad.adrelid), a.attidentity, a.attgenerated, "
    "CASE WHEN et.typtype = 'e' THEN en.nspname END, CASE WHEN et.typtype = 'e' THEN et.typname END, "
    "a.attndims, t.typcategory = 'A', "
    "s.seqincrement, s.seqstart, s.seqmin, s.seqmax, s.seqcache, s.seqcycle, sq.relname, sq.nspname, "
    "sq.deptype = 'a', a.attnum "
    "FROM tabs JOIN pg_attribute a ON a.attrelid = tabs.oid JOIN pg_type t ON t.oid = a.atttypid "
    "LEFT JOIN pg_type et ON et.oid = CASE WHEN t.typcategory = 'A' THEN t.typelem ELSE t.oid END "
    "LEFT JOIN pg_namespace en ON en.oid = et.typnamespace "
    "LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum "
    "LEFT JOIN seqs sq ON sq.refobjid = a.attrelid AND sq.refobjsubid = a.attnum "
    "LEFT JOIN pg_sequence s ON s.seqrelid = sq.oid "
    "WHERE a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attrelid, a.attnum"
)

_CONSTRAINTS = (
    f"WITH tabs AS MATERIALIZED ({_TABLES}) "
    "SELECT co.conrelid, co.conname, co.contype, co.conkey, fn.nspname, fc.relname, co.confrelid, co.confkey, "
    "co.confdeltype, co.confupdtype, CASE WHEN co.contype = 'c' THEN pg_get_constraintdef(co.oid) END, "
    "{nulls_not_distinct} "
    "FROM pg_constraint co LEFT JOIN pg_class fc ON fc.oid = co.confrelid "
    "LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace LEFT JOIN pg_index ix ON ix.indexrelid = co.conindid "
    "AND co.contype = 'u' WHERE co.contype IN ('p', 'u', 'f', 'c') AND co.conrelid IN (SELECT oid FROM tabs) "
    "ORDER BY co.conrelid, co.conname"
)

_INDEXES = (
    f"WITH tabs AS MATERIALIZED ({_TABLES}) "
    "SELECT i.indrelid, c.relname, i.indisunique, am.amname, pg_get_expr(i.indpred, i.indrelid, true), "
    "ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, true) FROM generate_series(1, i.indnkeyatts) k ORDER BY k), "
    "ARRAY(SELECT i.indkey[k - 1] FROM generate_series(1, i.indnkeyatts) k ORDER BY k), "
    "ARRAY(SELECT i.indoption[k - 1] FROM generate_series(1, i.indnkeyatts) k ORDER BY k), "
    "ARRAY(SELECT oc.opcname FROM generate_series(1, i.indnkeyatts) k "
    "JOIN pg_opclass oc ON oc.oid = i.indclass[k - 1] ORDER BY k), "
    "coalesce(c.reloptions, '{}') "
    "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam "
    "WHERE i.indrelid IN (SELECT oid FROM tabs) AND NOT EXISTS (SELECT 1 FROM pg_constraint co "
    "WHERE co.conindid = i.indexrelid AND co.conrelid = i.indrelid AND co.contype IN ('p', 'u', 'x')) "
    "ORDER BY i.indrelid, c.relname"
)

_ENUMS = (
    "SELECT n.nspname, t.typname, array_agg(e.enumlabel::text ORDER BY e.enumsortorder) "
    "FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace "
    f"WHERE {_SKIP_NS} AND {_NOT_EXT.format(oid='t.oid')} GROUP BY 1, 2"
)

_SEQUENCES = (
    "SELECT n.nspname, c.relname, s.seqincrement, s.seqstart, s.seqmin, s.seqmax, s.seqcache, s.seqcycle "
    "FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
    f"WHERE {_SKIP_NS} AND {_NOT_EXT.format(oid='c.oid')} AND NOT EXISTS (SELECT 1 FROM pg_depend d "
    "WHERE d.objid = c.oid AND d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')) "
    "AND NOT (n.nspname = %(track_schema)s AND c.relname = %(track_table)s || '_id_seq')"
)

_ACTIONS = {"a": "no action", "r": "restrict", "c": "cascade", "n": "set null", "d": "set default"}


def read_schema(conn: psycopg.Connection[Any], track_schema: str, track_table: str) -> dict[str, Any]:
    """The database's schema as a v7 snapshot body: ``tables``, ``enums``, ``schemas``, ``sequences``."""
    params = fingerprint_params(track_schema, track_table)
    run = lambda q: conn.execute(q, params, prepare=False).fetchall()  # noqa: E731
    tables: dict[int, dict[str, Any]] = {}
    for oid, schema, name, rls in run(_TABLE_ROWS):
        tables[oid] = {
            "name": name,
            "schema": schema,
            "columns": {},
            "indexes": {},
            "foreignKeys": {},
            "compositePrimaryKeys": {},
            "uniqueConstraints": {},
            "checkConstraints": {},
            "isRLSEnabled": bool(rls),
        }
    names: dict[tuple[int, int], str] = {}  # (table oid, attnum) -> column name
    for row in run(_COLUMNS):
        if row[0] in tables:
            col = _column(row[:-1])
            tables[row[0]]["columns"][col["name"]] = col
            names[(row[0], row[-1])] = col["name"]
    nnd = "ix.indnullsnotdistinct" if conn.info.server_version >= 150000 else "false"
    constraints = run(_CONSTRAINTS.replace("{nulls_not_distinct}", nnd))
    outside = sorted({r[6] for r in constraints if r[6] and r[6] not in tables})  # referenced, not read
    if outside:
        for rel, num, attname in conn.execute(
            "SELECT attrelid, attnum, attname FROM pg_attribute WHERE attrelid = ANY(%s) AND attnum > 0", (outside,)
        ):
            names[(rel, num)] = attname
    for row in constraints:
        if row[0] in tables:
            oid, name, kind, conkey, to_schema, to_table, to_oid, confkey, *rest = row
            cols = [names[(oid, n)] for n in conkey or []]
            to_cols = [names[(to_oid, n)] for n in confkey or []]
            _constraint(tables[oid], (oid, name, kind, cols, to_schema, to_table, to_cols, *rest))
    for row in run(_INDEXES):
        if row[0] in tables:
            idx = _index(row)
            tables[row[0]]["indexes"][idx["name"]] = idx
    out: dict[str, Any] = {"tables": {}, "enums": {}, "schemas": {}, "sequences": {}}
    for t in tables.values():
        out["tables"][f"{t['schema']}.{t['name']}"] = t
    for schema, name, values in run(_ENUMS):
        out["enums"][f"{schema}.{name}"] = {"name": name, "schema": schema, "values": list(values)}
    for (name,) in run(_SCHEMAS):
        out["schemas"][name] = name
    for schema, name, inc, start, lo, hi, cache, cycle in run(_SEQUENCES):
        out["sequences"][f"{schema}.{name}"] = {
            "name": name,
            "schema": schema,
            **_seq(inc, start, lo, hi, cache, cycle),
        }
    return out


def _seq(inc: Any, start: Any, lo: Any, hi: Any, cache: Any, cycle: Any) -> dict[str, Any]:
    return {
        "increment": str(inc),
        "startWith": str(start),
        "minValue": str(lo),
        "maxValue": str(hi),
        "cache": str(cache),
        "cycle": bool(cycle),
    }


def _column(row: tuple[Any, ...]) -> dict[str, Any]:
    (_, name, typ, notnull, default, identity, generated, enum_schema, enum_name, ndims, is_array) = row[:11]
    inc, start, lo, hi, cache, cycle, seq_name, seq_schema, owned = row[11:]
    col: dict[str, Any] = {"name": name, "type": typ, "primaryKey": False, "notNull": bool(notnull)}
    if enum_name is not None:
        col["type"] = enum_name + ("[]" * max(1, ndims or 1) if is_array else "")
        col["typeSchema"] = enum_schema
    serial = {"integer": "serial", "bigint": "bigserial", "smallint": "smallserial"}.get(typ)
    if owned and serial and default and default.startswith("nextval("):
        col["type"], default = serial, None  # drizzle-kit pull's reading of a serial column
    if generated == "s":
        col["generated"] = {"as": default, "type": "stored"}
    elif default is not None:
        col["default"] = default
    if identity in ("a", "d"):
        col["identity"] = {
            "type": "always" if identity == "a" else "byDefault",
            "name": seq_name,
            "schema": seq_schema,
            **_seq(inc, start, lo, hi, cache, cycle),
        }
    return col


def _constraint(table: dict[str, Any], row: tuple[Any, ...]) -> None:
    _, name, kind, cols, to_schema, to_table, to_cols, on_delete, on_update, definition, nnd = row
    if kind == "p":
        if len(cols) == 1 and name == f"{table['name']}_pkey":
            table["columns"][cols[0]]["primaryKey"] = True
        else:
            table["compositePrimaryKeys"][name] = {"name": name, "columns": list(cols)}
    elif kind == "u":
        table["uniqueConstraints"][name] = {"name": name, "nullsNotDistinct": bool(nnd), "columns": list(cols)}
    elif kind == "f":
        table["foreignKeys"][name] = {
            "name": name,
            "tableFrom": table["name"],
            "tableTo": to_table,
            "schemaTo": to_schema,
            "columnsFrom": list(cols),
            "columnsTo": list(to_cols),
            "onDelete": _ACTIONS.get(on_delete, "no action"),
            "onUpdate": _ACTIONS.get(on_update, "no action"),
        }
    elif kind == "c":
        value = str(definition)
        value = value.removesuffix(" NOT VALID")
        value = value[len("CHECK ") :] if value.startswith("CHECK ") else value
        table["checkConstraints"][name] = {"name": name, "value": value}


def _index(row: tuple[Any, ...]) -> dict[str, Any]:
    _, name, unique, method, where, exprs, keys, options, opclasses, reloptions = row
    columns = []
    for expr, key, opt, opclass in zip(exprs, keys, options, opclasses, strict=True):
        columns.append(
            {
                "expression": _unquoted(str(expr)) if int(key) else str(expr),
                "isExpression": int(key) == 0,
                "asc": not int(opt) & 1,
                "nulls": "first" if int(opt) & 2 else "last",
                "opclass": opclass,
            }
        )
    with_ = dict(str(o).split("=", 1) for o in reloptions if "=" in str(o))
    out: dict[str, Any] = {
        "name": name,
        "columns": columns,
        "isUnique": bool(unique),
        "concurrently": False,
        "method": method,
        "with": with_,
    }
    if where is not None:
        out["where"] = where
    return out


def _unquoted(name: str) -> str:
    return name[1:-1].replace('""', '"') if len(name) > 1 and name[0] == name[-1] == '"' else name


FINGERPRINT_SQL = (
    "SELECT md5(coalesce(string_agg(x, E'\\n' ORDER BY x), '')) FROM ("
    f"SELECT 'n ' || n.nspname FROM pg_namespace n WHERE {_SKIP_NS} "
    "UNION ALL SELECT 'c ' || c.oid::regclass::text || ' ' || c.relrowsecurity FROM pg_class c "
    f"WHERE c.oid IN ({_TABLES}) "
    "UNION ALL SELECT 'a ' || a.attrelid::regclass::text || ' ' || a.attname || ' ' "
    "|| format_type(a.atttypid, a.atttypmod) || ' ' || a.attnotnull::text || a.attidentity::text "
    "|| a.attgenerated::text || ' ' "
    "|| coalesce(pg_get_expr(ad.adbin, ad.adrelid), '') FROM pg_attribute a "
    "LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum "
    f"WHERE a.attnum > 0 AND NOT a.attisdropped AND a.attrelid IN ({_TABLES}) "
    "UNION ALL SELECT 'k ' || co.conrelid::regclass::text || ' ' || co.conname || ' ' || pg_get_constraintdef(co.oid) "
    f"FROM pg_constraint co WHERE co.conrelid IN ({_TABLES}) "
    "UNION ALL SELECT 'i ' || pg_get_indexdef(i.indexrelid) FROM pg_index i "
    f"WHERE i.indrelid IN ({_TABLES}) "
    "UNION ALL SELECT 'e ' || q.k || ' ' || q.v::text FROM ("
    + _ENUMS.replace("SELECT n.nspname, t.typname,", "SELECT n.nspname || '.' || t.typname,", 1).replace(
        "GROUP BY 1, 2", "GROUP BY 1"
    )
    + ") q(k, v) "
    "UNION ALL SELECT 's ' || q::text FROM (" + _SEQUENCES + ") q"
    ") f(x)"
)


def fingerprint(conn: psycopg.Connection[Any], track_schema: str, track_table: str) -> str:
    """One round trip: a digest of everything :func:`read_schema` reads (and a little more); a schema
    whose digest did not move since a clean comparison is still clean."""
    row = conn.execute(FINGERPRINT_SQL, fingerprint_params(track_schema, track_table), prepare=False).fetchone()
    return fingerprint_of(row)


def fingerprint_params(track_schema: str, track_table: str) -> dict[str, str]:
    """The parameters of :data:`FINGERPRINT_SQL` (and of every query :func:`read_schema` sends)."""
    return {
        "skip_schema": "" if track_schema == "public" else track_schema,
        "track_schema": track_schema,
        "track_table": track_table,
    }
