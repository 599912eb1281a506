"""ALTER TABLE: locks, rewrites and scans of existing tables, and changes that break running code; and the
column rules: types squawk steers away from, and what ADD COLUMN rewrites."""

from __future__ import annotations

from gtsd_tui.core.lint.clauses import alter_actions, column_option, next_token
from gtsd_tui.core.lint.state import TableKey, table_key
from gtsd_tui.core.lint.tree import AlterTableCmd, AlterTableStmt, ColumnDef, Constraint, Expr, TypeName

TYPE_CHECKING = False
if TYPE_CHECKING:
    from gtsd_tui.core.lint.engine import Linter

_COLUMN_OPTIONS = {
    "AT_SetNotNull", "AT_DropNotNull", "AT_AlterColumnType", "AT_ColumnDefault", "AT_DropExpression",
    "AT_DropIdentity", "AT_AddIdentity", "AT_SetIdentity",
}  # fmt: skip
_DROPS = {
    "AT_DropConstraint": ("ban-drop-constraint", "dropping a constraint lets old code write what it forbade"),
    "AT_DropExpression": ("ban-drop-generated-expression", "readers expect the generated value"),
    "AT_DropIdentity": ("ban-alter-identity", "writers relying on the identity start failing"),
    "AT_DropNotNull": ("ban-drop-not-null", "readers may rely on the column never being null"),
}


def alter_table(lint: Linter, s: AlterTableStmt) -> None:
    key = table_key(s.relation)
    name = s.relation.relname if s.relation else ""
    table = s.objtype == "OBJECT_TABLE"
    if table and s.relation and not s.relation.schemaname:
        lint.add("require-table-schema", lint.at(s.relation.location), f"{name} without its schema")
    starts = alter_actions(lint, lint.at(s.relation.location) if s.relation else -1, len(s.cmds))
    for i, node in enumerate(s.cmds):
        if node.cmd is not None:
            at = starts[i] if i < len(starts) else lint.first
            if table and not lint.state.in_transaction and not lint.in_do:
                _robust(lint, node.cmd, at)
            _cmd(lint, node.cmd, key, name, at, s.objtype)


def _robust(lint: Linter, cmd: AlterTableCmd, at: int) -> None:
    """squawk's prefer-robust-stmts on an ALTER TABLE outside a transaction: every action, except ADD
    COLUMN IF NOT EXISTS, DROP COLUMN/CONSTRAINT IF EXISTS, and a constraint dropped earlier in the
    file (IF EXISTS) then added again once, or validated."""
    sub, dropped = cmd.subtype, lint.state.dropped_constraints
    if sub in ("AT_AddColumn", "AT_DropColumn"):
        return  # below, with their own messages
    if sub == "AT_DropConstraint":
        dropped[cmd.name] = False
        if cmd.missing_ok:
            return
    elif sub == "AT_ValidateConstraint" and cmd.name in dropped:
        return
    elif sub == "AT_AddConstraint" and cmd.definition is not None and cmd.definition.constraint is not None:
        name = cmd.definition.constraint.conname
        if name in dropped and not dropped[name]:
            dropped[name] = True
            return
    lint.add(
        "prefer-robust-stmts", at, "this ALTER TABLE outside a transaction cannot be re-run after a failure half-way"
    )


def _cmd(lint: Linter, cmd: AlterTableCmd, key: TableKey, table: str, at: int, objtype: str) -> None:
    st, sub = lint.state, cmd.subtype
    if sub in _COLUMN_OPTIONS:
        at = column_option(lint, at)  # squawk points at the option: TYPE, SET NOT NULL, DROP DEFAULT...
    existing = st.existing(key)
    definition = cmd.definition
    if sub == "AT_AddColumn" and definition is not None and definition.column is not None:
        _add_column(lint, definition.column, cmd.missing_ok, key, table, at, objtype == "OBJECT_TABLE")
    elif sub == "AT_AddConstraint" and definition is not None and definition.constraint is not None:
        _add_constraint(lint, definition.constraint, key, table, at)
    elif sub == "AT_SetNotNull":
        proven = (key, cmd.name) in st.proven_not_null and lint.settings.pg_version >= 12
        if existing and not proven:
            lint.add("adding-not-nullable-field", at, f"SET NOT NULL scans {table} under an ACCESS EXCLUSIVE lock")
    elif sub == "AT_DropColumn":
        if not cmd.missing_ok:
            lint.add("drop-if-exists", at, "DROP COLUMN without IF EXISTS fails when the column is gone")
            if not st.in_transaction and objtype == "OBJECT_TABLE":
                lint.add("prefer-robust-stmts", at, "DROP COLUMN without IF EXISTS cannot be re-run")
        lint.add("ban-drop-column", at, f"dropping {table}.{cmd.name} breaks code still using it")
    elif sub == "AT_AlterColumnType" and definition is not None and definition.column is not None:
        col = definition.column
        check_type(lint, col.type_name)
        old, new = st.column_types.get((key, cmd.name)), type_key(col.type_name)
        if existing and not _no_rewrite(old, new, col):
            lint.add("changing-column-type", at, f"changing the type of {table}.{cmd.name} rewrites the table")
        st.column_types[(key, cmd.name)] = new
    elif sub == "AT_ValidateConstraint":
        if (key, cmd.name) in st.not_valid and st.in_transaction:
            lint.add(
                "constraint-missing-not-valid",
                at,
                f"VALIDATE of {cmd.name} in the transaction that added it NOT VALID holds the lock all along",
            )
        if (key, cmd.name) in st.not_null_checks:
            st.proven_not_null.add((key, st.not_null_checks[(key, cmd.name)]))
    elif sub == "AT_ColumnDefault" and (definition is None or definition.column is None):
        if existing and _is_drop_default(cmd):
            lint.add("ban-drop-default", at, f"writers that omit {table}.{cmd.name} start failing or storing null")
    elif sub == "AT_DetachPartition":
        part = definition.partition if definition else None
        if part is not None and part.concurrent:
            st.concurrent_at.append(lint.first)
        elif lint.settings.pg_version >= 14:
            lint.add("require-concurrent-partition-detach", at, "DETACH PARTITION blocks the parent table")
    elif sub in _DROPS and existing:
        rule, why = _DROPS[sub]
        lint.add(rule, at, why)


def _is_drop_default(cmd: AlterTableCmd) -> bool:
    return cmd.definition is None  # SET DEFAULT carries the expression in ``def``


def _no_rewrite(old: str | None, new: str, col: ColumnDef) -> bool:
    """varchar(n) -> text, varchar(n) -> varchar, or a wider varchar: PostgreSQL keeps the relfilenode."""
    if old is None or col.raw_default is not None:  # unknown old type, or USING
        return False
    if old.startswith("varchar") or old == "text":
        if new in ("text", "varchar") and old != "text":
            return True
        if old.startswith("varchar:") and new.startswith("varchar:"):
            return int(new.split(":")[1]) >= int(old.split(":")[1])
    return old == new


def _add_column(
    lint: Linter, col: ColumnDef, missing_ok: bool, key: TableKey, table: str, at: int, of_table: bool
) -> None:
    st = lint.state
    existing = st.existing(key)
    if not missing_ok:
        lint.add("add-column-if-not-exists", at, f"ADD COLUMN on {table} is not idempotent")
        if not st.in_transaction and of_table and not lint.in_do:
            lint.add("prefer-robust-stmts", at, "ADD COLUMN without IF NOT EXISTS cannot be re-run")
    lint.add("ban-add-column", at, f"new column {table}.{col.colname}")
    column(lint, col)
    st.column_types[(key, col.colname)] = type_key(col.type_name)
    if not existing:
        return
    cons = constraints(col)
    kinds = {c.contype for c in cons}
    found = rewrite_reason(lint, col)
    if found:
        reason, c = found
        # squawk points at the DEFAULT's expression, or at the GENERATED/identity constraint
        where = at if c is None else lint.at(c.location)
        if c is not None and c.contype == "CONSTR_DEFAULT":
            where = next_token(lint, where)
        lint.add("adding-field-with-default", where, f"{reason}: {table} is locked while it is rewritten")
    filled = {"CONSTR_DEFAULT", "CONSTR_GENERATED", "CONSTR_IDENTITY"} & kinds
    serial = col.type_name is not None and col.type_name.name in ("serial", "bigserial", "smallserial")
    if "CONSTR_NOTNULL" in kinds and not filled and not serial:
        lint.add("adding-required-field", at, f"NOT NULL without DEFAULT fails as soon as {table} has rows")
    for c in cons:
        _constraint_rules(lint, c, table, at, inline=True)


def _add_constraint(lint: Linter, c: Constraint, key: TableKey, table: str, at: int) -> None:
    st = lint.state
    if c.contype == "CONSTR_CHECK" and c.conname:
        col = _not_null_column(c.expr)
        if col is not None:
            st.not_null_checks[(key, c.conname)] = col
            if not c.skip_validation:
                st.proven_not_null.add((key, col))
    if c.skip_validation and c.conname:
        st.not_valid.add((key, c.conname))
    if st.existing(key):
        _constraint_rules(lint, c, table, at, inline=False)


def _constraint_rules(lint: Linter, c: Constraint, table: str, action_at: int, inline: bool) -> None:
    """``action_at``: the ADD [COLUMN|CONSTRAINT] action; rules about the constraint point at it."""
    at = lint.at(c.location) if c.location >= 0 else action_at
    if c.contype == "CONSTR_FOREIGN" and not c.skip_validation:
        if not inline:
            lint.add("constraint-missing-not-valid", action_at, f"validating the foreign key scans {table}")
        lint.add("adding-foreign-key-constraint", at, f"the foreign key locks {table} and the table it references")
    elif c.contype == "CONSTR_CHECK" and not c.skip_validation and not inline:
        lint.add("constraint-missing-not-valid", action_at, f"validating the check scans {table} under lock")
    elif c.contype in ("CONSTR_UNIQUE", "CONSTR_EXCLUSION") and not c.indexname:
        kind = "UNIQUE" if c.contype == "CONSTR_UNIQUE" else "EXCLUDE"
        lint.add("disallowed-unique-constraint", at, f"{kind} builds its index on {table} under ACCESS EXCLUSIVE")
    elif c.contype == "CONSTR_PRIMARY" and not c.indexname:
        lint.add("adding-serial-primary-key-field", at, f"PRIMARY KEY builds its index on {table} under lock")


def _not_null_column(e: Expr | None) -> str | None:
    """The column of ``CHECK (col IS NOT NULL)``."""
    nt = e.null_test if e is not None else None
    if nt is None or nt.nulltesttype != "IS_NOT_NULL" or nt.arg is None or nt.arg.column_ref is None:
        return None
    fields = nt.arg.column_ref.fields
    last = fields[-1].string if fields else None
    return last.sval if last else None


# -- columns: types squawk steers away from, and what ADD COLUMN rewrites
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
