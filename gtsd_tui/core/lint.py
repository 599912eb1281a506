"""Lint migrations on pglast's parse tree: the guide's idempotency rules and the usual lock and
rewrite hazards. Each finding has a rule id, severity, file:line:column, message and safe form."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gtsd_tui.core.hashing import BREAKPOINT, split_chunks

if TYPE_CHECKING:
    from gtsd_tui.core.lint_tree import AlterTableCmd, IndexStmt, Stmt

ERROR, WARNING = "error", "warning"
IGNORE = re.compile(r"--\s*gtsd-lint:\s*ignore\s+([\w\-, ]+)")
VOLATILE = {
    "random",
    "gen_random_uuid",
    "uuid_generate_v4",
    "uuid_generate_v1",
    "clock_timestamp",
    "timeofday",
    "statement_timestamp",
    "nextval",
    "txid_current",
}
HEADER = ("-- Migration:", "-- Created:", "-- Description:")

RULES: dict[str, tuple[str, str]] = {  # id: (severity, safe alternative)
    "syntax-error": (ERROR, "fix the SQL"),
    "create-table-if-not-exists": (WARNING, "CREATE TABLE IF NOT EXISTS"),
    "create-index-if-not-exists": (WARNING, "CREATE INDEX IF NOT EXISTS"),
    "create-type-guarded": (WARNING, "DO $$ BEGIN CREATE TYPE ...; EXCEPTION WHEN duplicate_object THEN null; END $$;"),
    "add-column-if-not-exists": (WARNING, "ALTER TABLE ... ADD COLUMN IF NOT EXISTS"),
    "drop-if-exists": (WARNING, "DROP ... IF EXISTS"),
    "not-null-column-without-default": (ERROR, "add it nullable, backfill, then SET NOT NULL; or give a DEFAULT"),
    "set-not-null": (WARNING, "ADD CONSTRAINT ... CHECK (col IS NOT NULL) NOT VALID; VALIDATE it; then SET NOT NULL"),
    "drop-column": (WARNING, "two phases: stop using the column in the app, deploy, then drop it"),
    "drop-table": (WARNING, "stop using the table first; back it up; drop in a later migration"),
    "rename": (WARNING, "add the new name, dual-write, migrate readers, then drop the old one"),
    "change-column-type": (WARNING, "add a new column, backfill in batches, switch readers, drop the old one"),
    "index-not-concurrently": (WARNING, "CREATE INDEX CONCURRENTLY in a migration of its own"),
    "constraint-not-valid": (WARNING, "ADD CONSTRAINT ... NOT VALID, then VALIDATE CONSTRAINT in a later migration"),
    "volatile-default": (WARNING, "add the column without the default, backfill in batches, then SET DEFAULT"),
    "transaction-control": (ERROR, "remove BEGIN/COMMIT: gtsd-tui and drizzle-orm run the transaction"),
    "concurrently-mixed": (ERROR, "put the CONCURRENTLY statement in a migration of its own"),
    "missing-header": (WARNING, "start the file with -- Migration:, -- Created: and -- Description: lines"),
}


@dataclass(frozen=True)
class LintFinding:
    rule: str
    severity: str
    file: str
    line: int
    column: int
    message: str
    safe: str

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


# Statements whose first word is one of these can break a rule; the rest (INSERT, UPDATE, DO, ...) are
# checked for syntax only, which keeps lint fast on data-heavy migrations.
_RULE_WORDS = {
    "create",
    "alter",
    "drop",
    "begin",
    "start",
    "commit",
    "end",
    "rollback",
    "abort",
    "savepoint",
    "release",
}


def _name(rv: Any) -> str:
    return str(rv.relname) if rv is not None else ""


_FIRST_WORD = re.compile(r"(?:\s+|--[^\n]*\n?|/\*.*?\*/)*([A-Za-z_]+)", re.DOTALL)
# Up to this size an ASCII file is parsed to trees in one pass; bigger files (data loads, mostly)
# are scanned first so that only the statements a rule may read get a tree.
ONE_PASS_MAX = 1 << 20
_SEPARATOR = "\n;\n"  # joins statements for one parser call; the newline ends a trailing -- comment


class _Linter:
    def __init__(self, path: str, text: str, hand_written: bool) -> None:
        self.path, self.text, self.hand_written = path, text, hand_written
        self.found: list[LintFinding] = []
        self.new_tables: set[str] = set()
        self.statements = 0
        self.concurrent_at: list[int] = []
        self._cursor = (0, 1)  # (offset, line): findings mostly come in file order

    def add(self, rule: str, offset: int, message: str) -> None:
        text = self.text
        at, line = self._cursor if offset >= self._cursor[0] else (0, 1)
        line += text.count("\n", at, offset)
        self._cursor = (offset, line)
        start = text.rfind("\n", 0, offset) + 1
        if start > 0:  # the line before may silence this rule
            previous = text[text.rfind("\n", 0, start - 1) + 1 : start - 1]
            m = IGNORE.search(previous) if "gtsd-lint" in previous else None
            if m and rule in {r.strip() for r in m.group(1).split(",")}:
                return
        severity, safe = RULES[rule]
        self.found.append(LintFinding(rule, severity, self.path, line, offset - start + 1, message, safe))

    def run(self) -> list[LintFinding]:
        from pglast import parser

        if self.hand_written and not all(h in self.text[:2000] for h in HEADER):
            self.add("missing-header", 0, "hand-written migration without the guide's header")
        if len(self.text) <= ONE_PASS_MAX and self.text.isascii():
            if self.one_pass():
                return self.finish()
            spans = None  # the same parser refused the whole file, or a statement crosses a breakpoint
        else:
            spans = self.whole_file_spans()
        if spans is None:  # parse chunk by chunk, exactly as drizzle-orm sends them
            spans = []
            for chunk in split_chunks(self.text):
                if chunk.is_blank:
                    continue
                try:
                    part = parser.split(chunk.text, only_slices=True)  # the real parser: syntax checked here
                except parser.ParseError as exc:
                    message, offset = (exc.args + (0,))[:2]
                    self.add("syntax-error", chunk.offset + int(offset or 0), str(message))
                    continue
                spans += [slice(sp.start + chunk.offset, sp.stop + chunk.offset) for sp in part]
        self.statements = len(spans)
        text, match = self.text, _FIRST_WORD.match
        wanted = [sp for sp in spans if (m := match(text, sp.start)) and m.group(1).lower() in _RULE_WORDS]
        if wanted:
            self.trees(wanted)
        return self.finish()

    def finish(self) -> list[LintFinding]:
        if self.concurrent_at and self.statements > 1:
            self.add(
                "concurrently-mixed",
                self.concurrent_at[0],
                "CONCURRENTLY cannot run in a transaction; mixed with other statements this migration fails",
            )
        return self.found

    def one_pass(self) -> bool:
        """Trees of the whole file from one parser call; False (nothing recorded) when the file does
        not parse or a statement spans a breakpoint. Byte offsets are character offsets: ASCII only."""
        from pglast import parser

        from gtsd_tui.core.lint_tree import located

        text = self.text
        try:
            raws = located(parser.parse_sql_json(text))
        except parser.ParseError:
            return False
        spans = [slice(r.stmt_location, r.stmt_location + r.stmt_len if r.stmt_len else len(text)) for r in raws]
        if _crosses_breakpoint(text, spans):
            return False
        self.statements = len(raws)
        for raw, sp in zip(raws, spans, strict=True):
            self.statement(raw.stmt, sp.start)
        return True

    def whole_file_spans(self) -> list[slice] | None:
        """Statements of the whole file in one parser call (the breakpoint marker is a SQL comment).

        Used only when it means the same as parsing each chunk: the file parses and no statement
        spans a breakpoint (a breakpoint inside a statement or literal is split by drizzle-orm).
        """
        from pglast import parser

        try:
            spans = parser.split(self.text, only_slices=True)
        except parser.ParseError:
            return None
        return None if _crosses_breakpoint(self.text, spans) else list(spans)

    def trees(self, spans: list[slice]) -> None:
        """Parse the statements that may break a rule, all in one call, and check their trees."""
        from pglast import parser

        from gtsd_tui.core.lint_tree import statements

        text = self.text
        stmts = statements(parser.parse_sql_json(_SEPARATOR.join(text[sp] for sp in spans)))
        if len(stmts) != len(spans):  # cannot happen for spans the parser cut, but never misplace a finding
            stmts = [statements(parser.parse_sql_json(text[sp]))[0] for sp in spans]
        for sp, stmt in zip(spans, stmts, strict=True):
            self.statement(stmt, sp.start)

    def statement(self, s: Stmt, start: int) -> None:
        text = self.text
        if s.create is not None:
            table = _name(s.create.relation)
            if not s.create.if_not_exists:
                self.add("create-table-if-not-exists", _skip_ws(text, start), f"CREATE TABLE {table} is not idempotent")
            self.new_tables.add(table)
        elif s.index is not None:
            self.index(s.index, _skip_ws(text, start))
        elif s.alter is not None:
            table = _name(s.alter.relation)
            for node in s.alter.cmds:
                if node.cmd is not None:
                    self.alter(node.cmd, table, start)
        elif s.drop is not None:
            at = _skip_ws(text, start)
            if not s.drop.missing_ok:
                self.add("drop-if-exists", at, "DROP without IF EXISTS fails when the object is gone")
            if s.drop.remove_type == "OBJECT_TABLE":
                self.add("drop-table", at, "dropping a table loses its data and breaks running code")
            if s.drop.concurrent:
                self.concurrent_at.append(at)
        elif s.rename is not None:
            self.add("rename", _skip_ws(text, start), "renaming breaks every running query that uses the old name")
        elif s.transaction is not None:
            self.add(
                "transaction-control", _skip_ws(text, start), "BEGIN/COMMIT inside a migration breaks its transaction"
            )
        elif s.creates_type:
            self.add(
                "create-type-guarded", _skip_ws(text, start), "CREATE TYPE fails if the type exists (no IF NOT EXISTS)"
            )

    def index(self, idx: IndexStmt, at: int) -> None:
        table = _name(idx.relation)
        if not idx.if_not_exists:
            self.add("create-index-if-not-exists", at, f"CREATE INDEX {idx.idxname} is not idempotent")
        if idx.concurrent:
            self.concurrent_at.append(at)
        elif table not in self.new_tables:
            self.add(
                "index-not-concurrently", at, f"CREATE INDEX on existing table {table} blocks writes while it builds"
            )

    def alter(self, cmd: AlterTableCmd, table: str, start: int) -> None:
        sub, existing = cmd.subtype, table not in self.new_tables
        definition = cmd.definition
        at = _skip_ws(self.text, start)
        if sub == "AT_AddColumn":
            if not cmd.missing_ok:
                self.add("add-column-if-not-exists", at, f"ADD COLUMN on {table} is not idempotent")
            cons = [n.constraint for n in (definition.column.constraints if definition and definition.column else ())]
            kinds = {c.contype for c in cons if c is not None}
            default = next((c.raw_expr for c in cons if c is not None and c.contype == "CONSTR_DEFAULT"), None)
            if "CONSTR_NOTNULL" in kinds and "CONSTR_DEFAULT" not in kinds and existing:
                self.add(
                    "not-null-column-without-default",
                    at,
                    f"NOT NULL column without DEFAULT on {table} fails as soon as the table has rows",
                )
            if existing and default is not None and default.func_call is not None:
                fname = default.func_call.name
                if fname in VOLATILE:
                    self.add("volatile-default", at, f"DEFAULT {fname}() rewrites {table} under an exclusive lock")
        elif sub == "AT_SetNotNull" and existing:
            self.add("set-not-null", at, f"SET NOT NULL scans {table} under an ACCESS EXCLUSIVE lock")
        elif sub == "AT_DropColumn":
            if not cmd.missing_ok:
                self.add("drop-if-exists", at, "DROP COLUMN without IF EXISTS fails when the column is gone")
            self.add("drop-column", at, f"dropping {table}.{cmd.name} breaks code still using it")
        elif sub == "AT_AlterColumnType" and existing:
            self.add("change-column-type", at, f"changing the type of {table}.{cmd.name} rewrites the table")
        elif sub == "AT_AddConstraint" and existing and definition is not None and definition.constraint is not None:
            c = definition.constraint
            if c.contype in ("CONSTR_FOREIGN", "CONSTR_CHECK") and not c.skip_validation:
                self.add("constraint-not-valid", at, f"validating the constraint scans {table} under lock")


def _crosses_breakpoint(text: str, spans: Sequence[slice]) -> bool:
    """Does a statement span a breakpoint marker? drizzle-orm would cut it there."""
    return BREAKPOINT in text and any(text.find(BREAKPOINT, sp.start, sp.stop) >= 0 for sp in spans)


def _skip_ws(text: str, start: int) -> int:
    """Offset of the statement's first token: past whitespace and ``--`` comment lines."""
    i = start
    while i < len(text):
        if text[i].isspace():
            i += 1
        elif text.startswith("--", i):
            nl = text.find("\n", i)
            i = len(text) if nl < 0 else nl + 1
        else:
            break
    return i


def lint_text(path: str, text: str, *, hand_written: bool = False) -> list[LintFinding]:
    return _Linter(path, text, hand_written).run()


def line_marks(findings: list[LintFinding]) -> dict[int, str]:
    marks: dict[int, str] = {}
    for f in findings:
        marks.setdefault(f.line, f"{f.rule}: {f.message}")
    return marks


def hand_written_tags(folder: Any) -> set[str]:
    """Migrations written by hand: no snapshot, or a snapshot that only copies the previous one
    (what ``drizzle-kit generate --custom`` and ``gtsd-tui new`` write)."""
    by_prefix = {s.prefix: s for s in folder.snapshots if s.data is not None and s.side in (None, "ours")}
    out: set[str] = set()
    previous: dict[str, Any] | None = None
    for m in folder.journal_migrations:
        snap = by_prefix.get(m.prefix)
        if snap is None:
            out.add(m.tag)
            continue
        body = {k: v for k, v in snap.data.items() if k not in ("id", "prevId")}
        if previous is not None and body == previous:
            out.add(m.tag)
        previous = body
    return out
