"""Column rules: types squawk steers away from, and what ADD COLUMN rewrites."""

from __future__ import annotations

from gtsd_tui.core.lint.tree import ColumnDef, Constraint, Expr, TypeName

TYPE_CHECKING = False
if TYPE_CHECKING:
    from gtsd_tui.core.lint.engine import Linter

INT4 = {"int4", "int", "integer", "serial", "serial4"}
INT2 = {"int2", "smallint", "smallserial", "serial2"}
SERIAL = {"serial", "serial4", "serial8", "bigserial", "smallserial", "serial2"}
CHAR = {"bpchar", "character", "char"}
# Functions known not to be volatile (immutable or stable): a DEFAULT made only of these, constants,
# casts and operators is evaluated once by ALTER TABLE ... ADD COLUMN (PG 11+), with no rewrite.
# Anything else (random(), gen_random_uuid(), uuidv7(), nextval(), user functions...) is volatile.
NON_VOLATILE = {
    "now", "transaction_timestamp", "current_date", "current_timestamp", "localtimestamp", "lower", "upper",
    "length", "abs", "concat", "concat_ws", "date_trunc", "make_interval", "make_date", "to_timestamp", "to_date",
    "to_char", "jsonb_build_object", "json_build_object", "jsonb_build_array", "json_build_array", "to_jsonb",
    "to_json", "array_fill", "greatest", "least", "timezone", "replace", "trim", "btrim", "substring", "md5",
}  # fmt: skip


NO_ARGS = {"now", "transaction_timestamp", "current_date", "current_timestamp", "localtimestamp"}


def type_key(t: TypeName | None) -> str:
    """ "varchar:20", "text", "int4": enough to tell a no-rewrite varchar change."""
    if t is None:
        return ""
    name = t.name
    return f"{name}:{t.typmods[0].value}" if t.typmods and name == "varchar" else name


def check_type(lint: Linter, t: TypeName | None) -> None:
    if t is None:
        return
    name, at = t.name, lint.at(t.location)
    if name in INT4:
        lint.add("prefer-bigint-over-int", at, f"{name} runs out at 2^31; use bigint")
    elif name in INT2:
        lint.add("prefer-bigint-over-smallint", at, f"{name} runs out at 2^15; use bigint")
    if name in SERIAL:
        lint.add("prefer-identity", at, f"{name} is a sequence default; an identity column is the standard form")
    if name in CHAR and (len(t.names) > 1 or name != "char"):
        lint.add("ban-char-field", at, "char(n) pads with spaces and is no faster than text")
    elif name == "varchar" and t.typmods:
        lint.add("prefer-text-field", at, "changing varchar(n)'s limit later takes an ACCESS EXCLUSIVE lock")
    elif name == "timestamp":
        lint.add("prefer-timestamp-tz", at, "timestamp without time zone loses the offset; use timestamptz")


def constraints(col: ColumnDef) -> list[Constraint]:
    return [n.constraint for n in col.constraints if n.constraint is not None]


def non_volatile(e: Expr | None) -> bool:
    if e is None:
        return True
    if e.a_const is not None or e.sql_value is not None:
        return True
    if e.type_cast is not None:
        return non_volatile(e.type_cast.arg)
    if e.func_call is not None:
        name = e.func_call.name.lower()
        if name in NO_ARGS and e.func_call.args:
            return False  # not the function of that name: now(123) is unknown
        return name in NON_VOLATILE and all(non_volatile(a) for a in e.func_call.args)
    if e.a_expr is not None:
        return non_volatile(e.a_expr.lexpr) and non_volatile(e.a_expr.rexpr)
    for group in (e.bool_expr, e.coalesce):
        if group is not None:
            return all(non_volatile(a) for a in group.args)
    if e.array is not None:
        return all(non_volatile(a) for a in e.array.elements)
    return False  # an unknown node: not known to be non-volatile


def is_null(e: Expr | None) -> bool:
    return e is not None and e.a_const is not None and e.a_const.isnull


def rewrite_reason(lint: Linter, col: ColumnDef) -> tuple[str, Constraint | None] | None:
    """Why ADD COLUMN of this column rewrites the table (or blocks while it fills it), if it does,
    and the constraint that does it (None: the serial type)."""
    name = col.type_name.name if col.type_name else ""
    if name in SERIAL:
        return f"{name} fills every row from a sequence", None
    for c in constraints(col):
        if c.contype == "CONSTR_GENERATED" and c.generated_kind == "s":
            return "a GENERATED ... STORED column is computed for every row", c
        if c.contype == "CONSTR_IDENTITY":
            return "an identity column fills every row from a sequence", c
        if c.contype == "CONSTR_DEFAULT" and not is_null(expr := c.expr):
            if lint.settings.pg_version < 11:
                return f"before PostgreSQL 11 any DEFAULT rewrites the table (pg_version {lint.settings.pg_version})", c
            if not non_volatile(expr):
                return "a DEFAULT not known to be non-volatile is evaluated for every row", c
    return None


def column(lint: Linter, col: ColumnDef) -> None:
    """Rules on a column definition, wherever it appears (CREATE TABLE or ADD COLUMN)."""
    check_type(lint, col.type_name)
