"""Statement rules (CREATE, INDEX, DROP, RENAME, types, domains, transactions, UPDATE, TRUNCATE,
REINDEX, SET) and the file-level ones; ALTER TABLE is in ``tables``, DO blocks in ``plpgsql``.

``ban-duplicate-column-assignments`` (at the end): a column assigned or defined twice in one statement. UPDATE ... SET,
INSERT ... ON CONFLICT DO UPDATE SET and MERGE ... UPDATE SET, INSERT/MERGE column lists, CREATE
[FOREIGN] TABLE columns, CREATE VIEW column lists (or, without one, the names PostgreSQL gives the
select list), SELECT ... INTO. Assignments to parts of a column (``a[1] = 1, a[2] = 2``, ``a.x = 1,
a.y = 2``) are not duplicates unless the whole column is also assigned.
"""

from __future__ import annotations

from gtsd_tui.core.lint.clauses import keyword, word_at
from gtsd_tui.core.lint.state import table_key
from gtsd_tui.core.lint.tables import alter_table, column, type_key
from gtsd_tui.core.lint.tree import (
    CreateStmt,
    DropStmt,
    IndexStmt,
    RangeVar,
    Stmt,
    TableElt,
    type_name_key,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

    from gtsd_tui.core.lint.engine import Linter
    from gtsd_tui.core.lint.tree_more import ResTarget, ResTargetNode

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
_ROBUST_DROPS = {"OBJECT_INDEX", "OBJECT_TABLE", "OBJECT_TYPE"}
_RENAMES = {"OBJECT_COLUMN": "renaming-column", "OBJECT_TABLE": "renaming-table"}
_BEGIN = {"TRANS_STMT_BEGIN", "TRANS_STMT_START"}
_END = {"TRANS_STMT_COMMIT", "TRANS_STMT_ROLLBACK", "TRANS_STMT_PREPARE", "TRANS_STMT_COMMIT_PREPARED"}
_ROBUST = "cannot be re-run after a failure half-way"


# squawk's "possibly slow" statements (DDL, CLUSTER, COMMENT, LOCK, VACUUM, ...): by first word
_SLOW_WORDS = {
    "alter", "create", "drop", "cluster", "comment", "import", "load", "lock", "refresh", "reindex", "truncate",
    "vacuum",
}  # fmt: skip


def check(lint: Linter, s: Stmt) -> None:
    st, at = lint.state, lint.first
    if not st.timeout_reported and _slow(lint, s):
        _timeouts(lint)
    if (
        s.update is not None
        or s.insert is not None
        or s.merge is not None
        or s.view is not None
        or s.select is not None
        or s.foreign_table is not None
        or s.create is not None
    ):
        check_assignments(lint, s)
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
        lint.add(rule, keyword(lint, "RENAME"), "renaming breaks every running query that uses the old name")
        if s.rename.relation_type == "OBJECT_TABLE" or s.rename.rename_type == "OBJECT_TABLE":
            _table_action(lint, s.rename.relation)
    elif s.transaction is not None:
        _transaction(lint, s.transaction.kind)
    elif s.alter_enum is not None:
        if s.alter_enum.old_val:
            where = keyword(lint, "RENAME")
            lint.add("renaming-object", where, "RENAME VALUE breaks code that writes or compares the old value")
        elif type_name_key(s.alter_enum.type_name) not in st.new_types:  # a new enum: no reader yet
            where = keyword(lint, "ADD_P")
            if not s.alter_enum.new_val_neighbor:
                lint.add("require-enum-value-ordering", where, "ADD VALUE without BEFORE/AFTER appends it last")
            lint.add("ban-add-enum-value", where, "old code may not accept the new value")
    elif s.creates_type:
        if s.enum is not None:
            st.new_types.add(type_name_key(s.enum.type_name))
        if not lint.in_do:
            lint.add("create-type-guarded", at, "CREATE TYPE fails if the type exists (no IF NOT EXISTS)")
        if s.domain is not None and s.domain.constraints:
            first = s.domain.constraints[0].constraint
            where = lint.at(first.location) if first is not None and first.location >= 0 else at
            lint.add(
                "ban-create-domain-with-constraint", where, "a domain's constraint is checked on every column of it"
            )
    elif s.alter_domain is not None:
        if s.alter_domain.subtype == "C":
            where = keyword(lint, "ADD_P")
            lint.add("ban-alter-domain-with-add-constraint", where, "ADD CONSTRAINT checks every column of the domain")
        elif s.alter_domain.subtype == "X":
            where = keyword(lint, "DROP")
            lint.add("ban-drop-constraint", where, "dropping a domain constraint lets old code write what it forbade")
    elif s.truncate is not None:
        if s.truncate.behavior == "DROP_CASCADE":
            lint.add(
                "ban-truncate-cascade",
                keyword(lint, "CASCADE"),
                "CASCADE also empties every table with a foreign key to these",
            )
    elif s.reindex is not None:
        if s.reindex.kind == "REINDEX_OBJECT_SYSTEM":
            pass  # REINDEX SYSTEM has no CONCURRENTLY form
        elif any(p.elem is not None and p.elem.defname == "concurrently" for p in s.reindex.params):
            st.concurrent_at.append(at)
        else:
            lint.add("require-concurrent-reindex", at, "REINDEX blocks writes (and reads using the index)")
    elif s.dropdb is not None:
        lint.add("ban-drop-database", at, "DROP DATABASE from a migration")
    elif s.set_schema is not None:
        lint.add("ban-set-schema", keyword(lint, "SET"), "readers using the old schema-qualified name break")
        if s.set_schema.object_type == "OBJECT_TABLE":
            _table_action(lint, s.set_schema.relation)
    elif s.create_as is not None:
        into = s.create_as.into.rel if s.create_as.into else None
        if s.create_as.objtype == "OBJECT_TABLE" and into is not None:
            if not into.schemaname and into.relpersistence != "t":
                lint.add("require-table-schema", lint.at(into.location), f"{into.relname} without its schema")
            st.new_tables.add(table_key(into))
    elif s.select is not None and s.select.into is not None and s.select.into.rel is not None:
        st.new_tables.add(table_key(s.select.into.rel))  # SELECT ... INTO makes a new table
    elif s.vacuum is not None or s.cluster is not None:
        _repack(lint, s)
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
    if not c.if_not_exists and not lint.in_do:
        if not temp:
            lint.add("create-table-if-not-exists", at, f"CREATE TABLE {name} is not idempotent")
        # squawk: a temporary table is exempt only when ON COMMIT DROP removes it with the transaction
        if not st.in_transaction and not (temp and c.oncommit == "ONCOMMIT_DROP"):
            lint.add("prefer-robust-stmts", at, f"CREATE TABLE without IF NOT EXISTS {_ROBUST}")
    if c.relation is not None and not c.relation.schemaname and not temp:
        lint.add("require-table-schema", lint.at(c.relation.location), f"{name} without its schema")
    for elt in c.table_elts:
        if elt.column is not None:
            column(lint, elt.column)
            st.column_types[(key, elt.column.colname)] = type_key(elt.column.type_name)
    st.new_tables.add(key)


def _index(lint: Linter, idx: IndexStmt) -> None:
    st, at = lint.state, lint.first
    key = table_key(idx.relation)
    if not idx.if_not_exists and idx.idxname and not lint.in_do:  # IF NOT EXISTS needs a name
        lint.add("create-index-if-not-exists", at, f"CREATE INDEX {idx.idxname} is not idempotent")
        if idx.concurrent or not st.in_transaction:
            lint.add("prefer-robust-stmts", at, f"CREATE INDEX without IF NOT EXISTS {_ROBUST}")
    if idx.concurrent:
        st.concurrent_at.append(at)
        if st.in_transaction:  # reported in finish: squawk does not for a file of one statement
            st.cic_in_tx.append(keyword(lint, "CONCURRENTLY"))
    elif st.existing(key):
        name = idx.relation.relname if idx.relation else ""
        lint.add("require-concurrent-index-creation", at, f"CREATE INDEX on existing {name} blocks writes while built")


def _drop(lint: Linter, d: DropStmt) -> None:
    st, at = lint.state, lint.first
    if not d.missing_ok and not lint.in_do:
        lint.add("drop-if-exists", at, "DROP without IF EXISTS fails when the object is gone")
        # squawk's prefer-robust-stmts reads DROP INDEX/TABLE/TYPE (drop-if-exists covers every DROP)
        if d.remove_type in _ROBUST_DROPS and (d.concurrent or not st.in_transaction):
            lint.add("prefer-robust-stmts", at, f"DROP without IF EXISTS {_ROBUST}")
    if d.remove_type == "OBJECT_TABLE":
        for obj in d.objects:
            names = obj.names.items if obj.names else []
            if len(names) == 1 and names[0].string:
                lint.add("require-table-schema", at, f"{names[0].string.sval} without its schema")
    if d.remove_type in _DROP_RULES:
        rule, why = _DROP_RULES[d.remove_type]
        lint.add(rule, at, why)
    if d.remove_type == "OBJECT_INDEX":
        if d.concurrent:
            st.concurrent_at.append(at)
        else:
            lint.add("require-concurrent-index-deletion", at, "DROP INDEX blocks reads and writes of its table")


def _transaction(lint: Linter, kind: str) -> None:
    """PostgreSQL does not nest transactions: a second BEGIN only warns, one COMMIT ends it."""
    st, at = lint.state, lint.first
    if kind in _BEGIN:
        if lint.settings.in_transaction or st.tx_open:
            lint.add("transaction-nesting", at, "BEGIN inside the migrator's transaction")
        st.tx_open, st.begin_at = True, at
    elif kind in _END:
        if lint.settings.in_transaction or not st.tx_open:
            lint.add("transaction-nesting", at, "COMMIT/ROLLBACK ends the migrator's transaction early")
        st.tx_open, st.ended = False, True


def _table_action(lint: Linter, relation: RangeVar | None) -> None:
    """ALTER TABLE ... RENAME / SET SCHEMA are ALTER TABLE actions to squawk (PostgreSQL parses them
    apart): require-table-schema, and prefer-robust-stmts outside a transaction."""
    if relation is not None and not relation.schemaname:
        lint.add("require-table-schema", lint.at(relation.location), f"{relation.relname} without its schema")
    if not lint.state.in_transaction and not lint.in_do:
        lint.add("prefer-robust-stmts", lint.first, f"this ALTER TABLE outside a transaction {_ROBUST}")


def _repack(lint: Linter, s: Stmt) -> None:
    """VACUUM FULL and CLUSTER rewrite the table under ACCESS EXCLUSIVE; PostgreSQL 19's REPACK
    (CONCURRENTLY) does not block (squawk checks it from pg_version 19)."""
    if lint.settings.pg_version < 19:
        return
    if s.cluster is not None:
        lint.add("prefer-repack", lint.first, "CLUSTER rewrites the table under ACCESS EXCLUSIVE")
    elif s.vacuum is not None and s.vacuum.is_vacuumcmd:
        for node in s.vacuum.options:
            if node.elem is not None and node.elem.defname == "full" and _true(node.elem.arg):
                lint.add("prefer-repack", lint.first, "VACUUM FULL rewrites the table under ACCESS EXCLUSIVE")


def _true(arg: object) -> bool:
    """A DefElem's boolean argument: absent means true; false, off, 0 (or quoted) mean false (read in
    the argument's JSON as libpg_query writes it: compact, keys in its order)."""
    if arg is None:
        return True
    import json  # (VACUUM's options only)

    low = json.dumps(arg, ensure_ascii=False, separators=(",", ":")).encode().lower()
    return not any(f'"{w}"'.encode() in low or f":{w}}}".encode() in low for w in ("false", "off", "0", "no"))


def _slow(lint: Linter, s: Stmt) -> bool:
    """squawk's possibly-slow statements (require-lock-timeout, require-statement-timeout)."""
    if "require-lock-timeout" not in lint.enabled and "require-statement-timeout" not in lint.enabled:
        return False
    if s.select is not None:
        return s.select.into is not None  # SELECT ... INTO creates a table
    if s.create is not None:  # a new table: nothing waits on it, unless it references another one
        return any(_references(e) for e in s.create.table_elts)
    return word_at(lint.text, lint.first).lower() in _SLOW_WORDS


def _references(e: TableElt) -> bool:
    """A foreign key takes SHARE ROW EXCLUSIVE on the table it references."""
    if e.constraint is not None:
        return e.constraint.contype == "CONSTR_FOREIGN"
    return e.column is not None and any(
        n.constraint is not None and n.constraint.contype == "CONSTR_FOREIGN" for n in e.column.constraints
    )


def _timeouts(lint: Linter) -> None:
    st = lint.state
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
    if st.cic_in_tx and (lint.statements > 1 or lint.settings.assume_in_transaction is None):
        alone = lint.statements <= 1
        for at in st.cic_in_tx:
            lint.begin(at, at, True)
            lint.add(
                "ban-concurrent-index-creation-in-transaction",
                at,
                "drizzle-orm's migrator runs every pending migration in one transaction, where CREATE INDEX "
                "CONCURRENTLY fails (gtsd-tui migrate runs a CONCURRENTLY-only migration in autocommit)"
                if alone
                else "CREATE INDEX CONCURRENTLY fails in a transaction",
            )
    if st.tx_open and st.begin_at >= 0:
        lint.begin(st.begin_at, st.begin_at, True)
        lint.add("ban-uncommitted-transaction", st.begin_at, "BEGIN without COMMIT leaves the transaction open")


# -- ban-duplicate-column-assignments
RULE = "ban-duplicate-column-assignments"
Item = tuple[str, int, bool]  # (name, file offset, assigns only a part of the column)


def check_assignments(lint: Linter, s: Stmt) -> None:
    if s.update is not None:
        _report(lint, _targets(lint, s.update.target_list), "assigned")
    elif s.insert is not None:
        _report(lint, _targets(lint, s.insert.cols), "assigned")
        if s.insert.on_conflict is not None:
            _report(lint, _targets(lint, s.insert.on_conflict.target_list), "assigned")
    elif s.merge is not None:
        for node in s.merge.clauses:
            if node.clause is not None:
                _report(lint, _targets(lint, node.clause.target_list), "assigned")
    elif s.create is not None or s.foreign_table is not None:
        create = s.create if s.create is not None else s.foreign_table.base  # type: ignore[union-attr]
        if create is not None:
            cols = [(e.column.colname, lint.at(e.column.location), False) for e in create.table_elts if e.column]
            _report(lint, cols, "defined")
    elif s.view is not None:
        if s.view.aliases:
            _report(lint, [(a.string.sval if a.string else "", lint.first, False) for a in s.view.aliases], "defined")
        elif s.view.query is not None and s.view.query.select is not None:
            _report(lint, _output_names(lint, s.view.query.select.target_list), "defined")
    elif s.select is not None and s.select.into is not None:
        _report(lint, _output_names(lint, s.select.target_list), "defined")


def _targets(lint: Linter, nodes: list[ResTargetNode]) -> list[Item]:
    return [(t.name, lint.at(t.location), bool(t.indirection)) for n in nodes if (t := n.target) is not None]


def _output_names(lint: Linter, nodes: list[ResTargetNode]) -> list[Item]:
    out = []
    for n in nodes:
        if n.target is not None:
            name = _column_name(n.target)
            if name is not None:
                out.append((name, lint.at(n.target.location), False))
    return out


def _column_name(t: ResTarget) -> str | None:
    """The name PostgreSQL gives a select-list item (FigureColname, in short); None for ``*``."""
    if t.name:
        return t.name
    e = t.val
    while e is not None:
        if e.column_ref is not None:
            last = e.column_ref.fields[-1].string if e.column_ref.fields else None
            return last.sval if last else None
        if e.func_call is not None:
            return e.func_call.name
        cast = e.type_cast
        if cast is not None:
            inner = cast.arg
            if inner is not None and (inner.column_ref is not None or inner.func_call is not None):
                e = inner
                continue
            return cast.type_name.name if cast.type_name else "?column?"
        break
    return "?column?"


def _report(lint: Linter, items: Iterable[Item], verb: str) -> None:
    by_name: dict[str, list[Item]] = {}
    for item in items:
        if item[0]:
            by_name.setdefault(item[0], []).append(item)
    for name, found in by_name.items():
        if len(found) < 2 or all(partial for _n, _at, partial in found):
            continue
        for _n, at, _p in found:
            lint.add(RULE, at, f"column {name} is {verb} more than once in this statement")
