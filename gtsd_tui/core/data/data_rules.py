"""The data checks each pending statement needs (see :mod:`gtsd_tui.core.data.data_checks`), judged on the
schema the earlier pending statements leave (:mod:`gtsd_tui.core.data.data_schema`)."""

from __future__ import annotations

from typing import Any

from gtsd_tui.core.data.data_checks import (
    CAST,
    CHECK,
    ENUM_VALUE,
    ERROR,
    FOREIGN_KEY,
    LOSS,
    NOT_NULL,
    UNIQUE,
    WARNING,
    Check,
    Place,
    Rel,
    literal,
    quote,
)
from gtsd_tui.core.data.data_schema import (
    Schema,
    Statement,
    column_refs,
    default_sql,
    enum_sql,
    expr_sql,
    name_list,
    quoted_names,
    record,
    rel_of,
    serial_type,
    statements,
    target_constraint,
    type_key,
    type_sql,
)
from gtsd_tui.core.migrations.plan import Step
from gtsd_tui.core.sql.pglast_load import ensure_pglast


def derive(
    stmts: list[Statement],
    on_target: dict[tuple[str, str, str], str] | None = None,
    enum_columns: dict[str, list[tuple[str, str, str]]] | None = None,
) -> list[Check]:
    """The checks of the statements, in order, each judged on the schema the earlier ones leave. From the
    target's catalog: ``on_target``, the definitions of constraints a ``VALIDATE CONSTRAINT`` names
    (:func:`validated`); ``enum_columns``, the columns of each enum whose value is renamed."""
    schema = Schema(on_target=dict(on_target or {}), enum_columns=dict(enum_columns or {}))
    out: list[Check] = []
    for s in stmts:
        out += _checks_of(s, schema)
        record(s, schema)
    return out


def _checks_of(s: Statement, schema: Schema) -> list[Check]:
    ensure_pglast()
    from pglast import ast

    node = s.node
    if isinstance(node, ast.AlterTableStmt) and node.relation is not None:
        rel = rel_of(node.relation)
        out: list[Check] = []
        for cmd in node.cmds or ():
            out += _alter_cmd(s.place, rel, cmd, schema)
        return out
    if isinstance(node, ast.IndexStmt) and node.unique and node.relation is not None:
        rel = rel_of(node.relation)
        exprs = []
        for p in node.indexParams or ():
            exprs.append(quote(str(p.name)) if p.name else f"({expr_sql(p.expr)})")
        pred = f" AND ({expr_sql(node.whereClause)})" if node.whereClause is not None else ""
        name = str(node.idxname or "unnamed unique index")
        plain = [str(p.name) for p in node.indexParams or () if p.name]
        cols = plain if len(plain) == len(exprs) else None  # plain columns: followed like a constraint's
        nulls = not node.nulls_not_distinct
        return [_unique(s.place, rel, name, exprs, schema, nulls_distinct=nulls, extra=pred, cols=cols)]
    if isinstance(node, ast.AlterEnumStmt) and node.oldVal and node.newVal:
        return _enum_rename(s.place, node, schema)
    if isinstance(node, ast.DropStmt):
        return _drops(s.place, node, schema)
    if isinstance(node, ast.TruncateStmt):
        out = []
        for rv in node.relations or ():
            rel = rel_of(rv)
            out.append(_loss(s.place, rel, None, f"rows of {rel.label} emptied", schema))
        return out
    return []


def _check(rel: Rel, *args: Any, **kwargs: Any) -> Check:
    """A check on ``rel`` as the statement names it (the expressions read that name)."""
    kwargs["alias"] = rel.name
    return Check(*args, **kwargs)


def _loss(place: Place, rel: Rel, col: str | None, what: str, schema: Schema) -> Check:
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
            rel,
            LOSS,
            WARNING,
            place,
            today,
            f"{rel.label}.{col}",
            what,
            cond,
            column=schema.column_today(rel, col),
            reason=schema.why_not(rel),
        )
    return _check(rel, LOSS, WARNING, place, today, rel.label, what, "true", reason=schema.why_not(rel))


def _enum_rename(place: Place, node: Any, schema: Schema) -> list[Check]:
    """The rows still holding a renamed enum value: they read the new label afterwards (a warning)."""
    names = name_list(node.typeName)
    if type_key(names) in schema.enums:  # made by a pending statement: only pending tables use it
        return []
    old, new = str(node.oldVal), str(node.newVal)
    out = []
    for nsp, table, col in schema.enum_columns.get(enum_sql(names), []):
        rel = Rel(nsp, table)
        what = f"rows of {rel.label}.{col} holding '{old}', which will read '{new}'"
        cond = f"{quote(table)}.{quote(col)}::text = {literal(old)}"
        reason = schema.why_not(rel) or schema.columns_changed(rel, [col])
        out.append(
            _check(rel, ENUM_VALUE, WARNING, place, rel, f"{rel.label}.{col}", what, cond, column=col, reason=reason)
        )
    return out


def _drops(place: Place, node: Any, schema: Schema) -> list[Check]:
    ensure_pglast()
    from pglast.enums import ObjectType

    if node.removeType != ObjectType.OBJECT_TABLE:
        return []
    out = []
    for obj in node.objects or ():
        names = name_list(obj)
        rel = Rel(names[-2] if len(names) > 1 else None, names[-1])
        out.append(_loss(place, rel, None, f"rows of {rel.label} dropped", schema))
    return out


def _not_null(place: Place, rel: Rel, cols: list[str], schema: Schema, what: str) -> Check:
    today = schema.today(rel)
    reason = schema.why_not(rel) or schema.columns_changed(rel, cols)
    cond = " OR ".join(f"{schema.value_of(rel, c)} IS NULL" for c in cols)
    obj = f"{rel.label}.{cols[0]}" if len(cols) == 1 else f"{rel.label} ({', '.join(cols)})"
    return _check(
        rel,
        NOT_NULL,
        ERROR,
        place,
        today,
        obj,
        what,
        cond,
        column=schema.column_today(rel, cols[0]) if len(cols) == 1 else None,
        reason=reason,
    )


def _unique(
    place: Place,
    rel: Rel,
    name: str,
    exprs: list[str],
    schema: Schema,
    *,
    nulls_distinct: bool = True,
    extra: str = "",
    cols: list[str] | None = None,
) -> Check:
    today = schema.today(rel)
    reason = schema.why_not(rel)
    if cols is not None:  # plain columns: follow renames, added columns by their default
        reason = reason or schema.columns_changed(rel, cols)
        exprs = [schema.value_of(rel, c) for c in cols]
    elif any((*rel.key, c) in schema.added or (*rel.key, c) in schema.col_renamed for c in quoted_names(exprs)):
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
        column=schema.column_today(rel, cols[0]) if cols and len(cols) == 1 else None,
        reason=reason,
    )


def _alter_cmd(place: Place, rel: Rel, cmd: Any, schema: Schema) -> list[Check]:
    ensure_pglast()
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
        key = (*rel.key, str(cmd.name))
        con = schema.not_valid.get(key)
        if con is None and key in schema.on_target:  # made NOT VALID before: its definition is on the target
            con = target_constraint(rel, str(cmd.name), schema.on_target[key])
        return [] if con is None else _constraint(place, rel, con, schema, validating=True)
    return []


def _add_column(place: Place, rel: Rel, col: Any, schema: Schema) -> list[Check]:
    ensure_pglast()
    from pglast.enums import ConstrType as C

    name = str(col.colname)
    cons = list(col.constraints or ())
    has_default = any(c.contype in (C.CONSTR_IDENTITY, C.CONSTR_GENERATED) for c in cons) or serial_type(col)
    has_default = has_default or default_sql(col) not in (None, "NULL")  # DEFAULT NULL is no default
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


def _retype(place: Place, rel: Rel, col: str, cdef: Any, schema: Schema) -> list[Check]:
    ensure_pglast()
    from pglast import ast

    today = schema.today(rel)
    target = type_sql(cdef.typeName)
    names = name_list(cdef.typeName.names)
    obj = f"{rel.label}.{col}"
    what = f"values of {obj} that do not convert to {target}"
    reason = schema.why_not(rel)
    using = cdef.raw_default
    assignment = using is None

    def mk(what: str, cond: str | None, src: str, reason: str | None) -> Check:
        column = schema.column_today(rel, col)
        kw = {"source": src, "target_type": target, "column": column, "source_is_column": using is None}
        return _check(rel, CAST, ERROR, place, today, obj, what, cond, reason=reason, assignment=assignment, **kw)

    # USING col::type (drizzle-kit's form) reads the column itself
    if (
        isinstance(using, ast.TypeCast)
        and list(column_refs(using.arg)) == [col]
        and isinstance(using.arg, ast.ColumnRef)
    ):
        using = None
    if (
        names
        and names[-1].lower() in ("text", "varchar")
        and not cdef.typeName.typmods
        and not cdef.typeName.arrayBounds
    ):
        return []  # every value has a text form: nothing can fail to convert
    labels = schema.enums.get(type_key(names))
    if labels is not None:  # an enum a pending statement (re)creates: its labels are known here, not on the target
        if using is not None:
            reason = reason or "the USING expression converts to a type a pending statement creates; not evaluated"
        if (*rel.key, col) in schema.added:
            reason = reason or "the column is added by a pending migration"
        src = f"{quote(rel.name)}.{quote(schema.column_today(rel, col))}"
        cond = f"{src} IS NOT NULL AND ({src})::text NOT IN ({', '.join(literal(x) for x in labels)})"
        return [mk(f"values of {obj} not among the labels of {target}", cond, src, reason)]
    if (*rel.key, col) in schema.added:
        reason = reason or "the column is added by a pending migration"
    reason = reason or schema.columns_changed(rel, [col])
    if using is not None:
        refs = set(column_refs(using))
        if any(
            (*rel.key, c) in schema.added or (*rel.key, c) in schema.retyped or (*rel.key, c) in schema.col_renamed
            for c in refs
        ):
            reason = reason or "the USING expression reads a column a pending statement adds, renames or retypes"
        src = f"({expr_sql(using)})"
    else:
        src = f"{quote(rel.name)}.{quote(schema.column_today(rel, col))}"
    if names and names[-1].lower() in ("varchar", "bpchar") and cdef.typeName.typmods:
        n = expr_sql(cdef.typeName.typmods[0])
        cond = f"{src} IS NOT NULL AND char_length(rtrim(({src})::text)) > {n}"
        return [mk(f"values of {obj} longer than {n}", cond, src, reason)]
    return [mk(what, None, src, reason)]


def _constraint(place: Place, rel: Rel, con: Any, schema: Schema, *, validating: bool = False) -> list[Check]:
    ensure_pglast()
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
        refs = set(column_refs(con.raw_expr))
        reason = schema.why_not(rel) or schema.columns_changed(rel, sorted(refs))
        if any((*rel.key, c) in schema.added or (*rel.key, c) in schema.col_renamed for c in refs):
            reason = reason or "the expression reads a column a pending statement adds or renames"
        cond = f"NOT ({expr_sql(con.raw_expr)})"
        return [
            _check(rel, CHECK, ERROR, place, today, name, f"rows violating {name} on {rel.label}", cond, reason=reason)
        ]
    return []


def _foreign_key(place: Place, rel: Rel, name: str, con: Any, schema: Schema) -> Check:
    today = schema.today(rel)
    cols = [str(k.sval) for k in con.fk_attrs or ()]
    parent = rel_of(con.pktable)
    pcols = [str(k.sval) for k in con.pk_attrs or ()]
    what = f"rows of {rel.label} whose ({', '.join(cols)}) has no match in {parent.label}"
    reason = schema.why_not(rel) or schema.columns_changed(rel, cols)
    vals = [schema.value_of(rel, c) for c in cols]
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
        reason = reason or schema.columns_changed(parent, pcols)
    ptoday = schema.today(parent)
    match = " AND ".join(
        f"gtsd_parent.{quote(schema.column_today(parent, pc))} = {v}" for pc, v in zip(pcols, vals, strict=False)
    )
    cond = f"{present} AND NOT EXISTS (SELECT 1 FROM {ptoday.sql} AS gtsd_parent WHERE {match or 'true'})"
    return _check(rel, FOREIGN_KEY, ERROR, place, today, name, what, cond, reason=reason)


def pending_checks(
    steps: list[Step], folder_path: Any, on_target: dict[tuple[str, str, str], str] | None = None
) -> list[Check]:
    """Every check of the pending steps (see the module's docstring)."""
    return derive(statements(steps, folder_path), on_target)
