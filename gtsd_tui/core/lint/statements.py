"""Statement rules (CREATE, INDEX, DROP, RENAME, types, domains, transactions, UPDATE, TRUNCATE,
REINDEX, SET) and the file-level ones; ALTER TABLE is in ``tables``, DO blocks in ``plpgsql``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gtsd_tui.core.lint.columns import check_identifier, column, type_key
from gtsd_tui.core.lint.state import table_key
from gtsd_tui.core.lint.tables import alter_table
from gtsd_tui.core.lint.tree import CreateStmt, DropStmt, IndexStmt, Stmt

if TYPE_CHECKING:
    from gtsd_tui.core.lint.engine import Linter

_DROP_RULES = {
    "OBJECT_TABLE": ("ban-drop-table", "dropping a table loses its data and breaks running code"),
    "OBJECT_VIEW": ("ban-drop-view", "dropping a view breaks the code reading it"),
    "OBJECT_MATVIEW": ("ban-drop-view", "dropping a view breaks the code reading it"),
    "OBJECT_FUNCTION": ("ban-drop-function", "dropping a function breaks its callers"),
    "OBJECT_PROCEDURE": ("ban-drop-function", "dropping a procedure breaks its callers"),
    "OBJECT_SCHEMA": ("ban-drop-schema", "dropping a schema breaks everything in it"),
    "OBJECT_SEQUENCE": ("ban-drop-sequence", "dropping a sequence breaks its users"),
    "OBJECT_DOMAIN": ("ban-drop-domain", "dropping a domain breaks its users"),
    "OBJECT_TYPE": ("ban-drop-type", "dropping a type breaks its users"),
    "OBJECT_EXTENSION": ("ban-drop-extension", "dropping an extension breaks what uses it"),
    "OBJECT_INDEX": ("ban-drop-index", "queries may depend on the index"),
    "OBJECT_TRIGGER": ("ban-drop-trigger", "behaviour may depend on the trigger"),
    "OBJECT_POLICY": ("ban-drop-policy", "dropping a policy changes who sees what"),
}
_RENAMES = {"OBJECT_COLUMN": "renaming-column", "OBJECT_TABLE": "renaming-table"}
_BEGIN = {"TRANS_STMT_BEGIN", "TRANS_STMT_START"}
_END = {"TRANS_STMT_COMMIT", "TRANS_STMT_ROLLBACK", "TRANS_STMT_PREPARE", "TRANS_STMT_COMMIT_PREPARED"}
_ROBUST = "cannot be re-run after a failure half-way"


def check(lint: Linter, s: Stmt) -> None:
    st, at = lint.state, lint.first
    if lint.settings.included and _locks(s):
        _timeouts(lint)
    if s.alter is not None:
        alter_table(lint, s.alter)
    elif s.create is not None:
        _create(lint, s.create)
    elif s.index is not None:
        _index(lint, s.index)
    elif s.drop is not None:
        _drop(lint, s.drop)
    elif s.rename is not None:
        rule = _RENAMES.get(s.rename.rename_type, "renaming-object")
        lint.add(rule, at, "renaming breaks every running query that uses the old name")
    elif s.transaction is not None:
        _transaction(lint, s.transaction.kind)
    elif s.alter_enum is not None:
        if s.alter_enum.old_val:
            lint.add("renaming-object", at, "RENAME VALUE breaks code that writes or compares the old value")
        else:
            if not s.alter_enum.new_val_neighbor:
                lint.add("require-enum-value-ordering", at, "ADD VALUE without BEFORE/AFTER appends it last")
            lint.add("ban-add-enum-value", at, "old code may not accept the new value")
    elif s.creates_type:
        if not lint.in_do:
            lint.add("create-type-guarded", at, "CREATE TYPE fails if the type exists (no IF NOT EXISTS)")
        if s.domain is not None and s.domain.constraints:
            lint.add("ban-create-domain-with-constraint", at, "a domain's constraint is checked on every column of it")
    elif s.alter_domain is not None:
        if s.alter_domain.subtype == "C":
            lint.add("ban-alter-domain-with-add-constraint", at, "ADD CONSTRAINT checks every column of the domain")
    elif s.update is not None:
        names = [t.target for t in s.update.target_list if t.target is not None]
        seen: dict[str, int] = {}
        for t in names:
            seen[t.name] = seen.get(t.name, 0) + 1
        for t in names:
            if seen[t.name] > 1:
                lint.add("ban-duplicate-column-assignments", lint.at(t.location), f"{t.name} is assigned twice")
    elif s.truncate is not None:
        if s.truncate.behavior == "DROP_CASCADE":
            lint.add("ban-truncate-cascade", at, "CASCADE also empties every table with a foreign key to these")
    elif s.reindex is not None:
        if any(p.elem is not None and p.elem.defname == "concurrently" for p in s.reindex.params):
            st.concurrent_at.append(at)
        else:
            lint.add("require-concurrent-reindex", at, "REINDEX blocks writes (and reads using the index)")
    elif s.dropdb is not None:
        lint.add("ban-drop-database", at, "DROP DATABASE from a migration")
    elif s.set_schema is not None:
        lint.add("ban-set-schema", at, "readers using the old schema-qualified name break")
    elif s.variable_set is not None:
        if s.variable_set.name == "lock_timeout":
            st.lock_timeout = True
        elif s.variable_set.name == "statement_timeout":
            st.statement_timeout = True
    elif s.do is not None:
        from gtsd_tui.core.lint.plpgsql import do_block

        do_block(lint, s.do)


def _create(lint: Linter, c: CreateStmt) -> None:
    st, at = lint.state, lint.first
    key = table_key(c.relation)
    temp = c.relation is not None and c.relation.relpersistence == "t"
    name = c.relation.relname if c.relation else ""
    if not c.if_not_exists and not temp and not lint.in_do:
        lint.add("create-table-if-not-exists", at, f"CREATE TABLE {name} is not idempotent")
        if not lint.settings.in_transaction:
            lint.add("prefer-robust-stmts", at, f"CREATE TABLE without IF NOT EXISTS {_ROBUST}")
    if c.relation is not None:
        check_identifier(lint, name, c.relation.location)
        if not c.relation.schemaname and not temp:
            lint.add("require-table-schema", lint.at(c.relation.location), f"{name} without its schema")
    for elt in c.table_elts:
        if elt.column is not None:
            column(lint, elt.column)
            st.column_types[(key, elt.column.colname)] = type_key(elt.column.type_name)
        elif elt.constraint is not None and elt.constraint.conname:
            check_identifier(lint, elt.constraint.conname, elt.constraint.location)
    st.new_tables.add(key)


def _index(lint: Linter, idx: IndexStmt) -> None:
    st, at, settings = lint.state, lint.first, lint.settings
    key = table_key(idx.relation)
    check_identifier(lint, idx.idxname, -1)
    if not idx.if_not_exists and idx.idxname and not lint.in_do:  # IF NOT EXISTS needs a name
        lint.add("create-index-if-not-exists", at, f"CREATE INDEX {idx.idxname} is not idempotent")
        if idx.concurrent or not settings.in_transaction:
            lint.add("prefer-robust-stmts", at, f"CREATE INDEX without IF NOT EXISTS {_ROBUST}")
    if idx.concurrent:
        st.concurrent_at.append(at)
        if st.tx_depth > 0 or settings.assume_in_transaction is True:
            lint.add(
                "ban-concurrent-index-creation-in-transaction", at, "CREATE INDEX CONCURRENTLY fails in a transaction"
            )
    elif st.existing(key):
        name = idx.relation.relname if idx.relation else ""
        lint.add("require-concurrent-index-creation", at, f"CREATE INDEX on existing {name} blocks writes while built")


def _drop(lint: Linter, d: DropStmt) -> None:
    st, at = lint.state, lint.first
    if not d.missing_ok and not lint.in_do:
        lint.add("drop-if-exists", at, "DROP without IF EXISTS fails when the object is gone")
        if d.concurrent or not lint.settings.in_transaction:
            lint.add("prefer-robust-stmts", at, f"DROP without IF EXISTS {_ROBUST}")
    if d.remove_type in _DROP_RULES:
        rule, why = _DROP_RULES[d.remove_type]
        lint.add(rule, at, why)
    if d.remove_type == "OBJECT_INDEX":
        if d.concurrent:
            st.concurrent_at.append(at)
        else:
            lint.add("require-concurrent-index-deletion", at, "DROP INDEX blocks reads and writes of its table")


def _transaction(lint: Linter, kind: str) -> None:
    st, at = lint.state, lint.first
    if kind in _BEGIN:
        if lint.settings.in_transaction or st.tx_depth > 0:
            lint.add("transaction-nesting", at, "BEGIN inside the migrator's transaction")
        if st.tx_depth == 0:
            st.begin_at = at
        st.tx_depth += 1
    elif kind in _END:
        if lint.settings.in_transaction or st.tx_depth == 0:
            lint.add("transaction-nesting", at, "COMMIT/ROLLBACK ends the migrator's transaction early")
        st.tx_depth = max(0, st.tx_depth - 1)


def _locks(s: Stmt) -> bool:
    """Statements that take a lock blocking reads or writes (for the opt-in timeout rules)."""
    if s.index is not None:
        return not s.index.concurrent
    return any(n is not None for n in (s.alter, s.drop, s.rename, s.truncate, s.alter_enum, s.reindex))


def _timeouts(lint: Linter) -> None:
    st = lint.state
    if st.timeout_reported:
        return
    st.timeout_reported = True
    if not st.lock_timeout:
        lint.add("require-lock-timeout", lint.first, "no SET lock_timeout before a statement that takes a lock")
    if not st.statement_timeout:
        lint.add("require-statement-timeout", lint.first, "no SET statement_timeout before a slow statement")


def finish(lint: Linter) -> None:
    st = lint.state
    if st.concurrent_at and lint.statements > 1:
        lint.begin(st.concurrent_at[0], st.concurrent_at[0], True)
        lint.add(
            "concurrently-mixed",
            st.concurrent_at[0],
            "CONCURRENTLY cannot run in a transaction; mixed with other statements this migration fails",
        )
    if st.tx_depth > 0 and st.begin_at >= 0:
        lint.begin(st.begin_at, st.begin_at, True)
        lint.add("ban-uncommitted-transaction", st.begin_at, "BEGIN without COMMIT leaves the transaction open")
