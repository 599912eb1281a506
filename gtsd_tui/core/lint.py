"""Lint migrations on pglast's parse tree: the guide's idempotency rules and the usual lock and
rewrite hazards. Each finding has a rule id, severity, file:line:column, message and safe form."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Any

from gtsd_tui.core.hashing import BREAKPOINT, split_chunks

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
    return str((rv or {}).get("relname", ""))


_FIRST_WORD = re.compile(r"(?:\s+|--[^\n]*\n?|/\*.*?\*/)*([A-Za-z_]+)", re.DOTALL)


def _first_word(text: str, start: int = 0) -> str:
    m = _FIRST_WORD.match(text, start)
    return m.group(1).lower() if m else ""


class _Linter:
    def __init__(self, path: str, text: str, hand_written: bool) -> None:
        self.path, self.text, self.hand_written = path, text, hand_written
        self.found: list[LintFinding] = []
        self.new_tables: set[str] = set()
        self.statements = 0
        self.concurrent_at: list[int] = []
        self._lines: list[str] | None = None

    def add(self, rule: str, offset: int, message: str) -> None:
        line = self.text.count("\n", 0, offset) + 1
        col = offset - (self.text.rfind("\n", 0, offset) + 1) + 1
        if line > 1:
            if self._lines is None:
                self._lines = self.text.split("\n")
            m = IGNORE.search(self._lines[line - 2])
            if m and rule in {r.strip() for r in m.group(1).split(",")}:
                return
        severity, safe = RULES[rule]
        self.found.append(LintFinding(rule, severity, self.path, line, col, message, safe))

    def run(self) -> list[LintFinding]:
        from pglast import parser

        if self.hand_written and not all(h in self.text[:2000] for h in HEADER):
            self.add("missing-header", 0, "hand-written migration without the guide's header")
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
        wanted = [sp for sp in spans if _first_word(self.text, sp.start) in _RULE_WORDS]
        if wanted:
            self.trees(self.text, wanted)
        if self.concurrent_at and self.statements > 1:
            self.add(
                "concurrently-mixed",
                self.concurrent_at[0],
                "CONCURRENTLY cannot run in a transaction; mixed with other statements this migration fails",
            )
        return self.found

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
        starts = [sp.start for sp in spans]
        at = self.text.find(BREAKPOINT)
        while at >= 0:  # is this marker inside a statement? (spans are sorted and disjoint)
            i = bisect.bisect_right(starts, at) - 1
            if i >= 0 and at < spans[i].stop:
                return None
            at = self.text.find(BREAKPOINT, at + len(BREAKPOINT))
        return list(spans)

    def trees(self, text: str, spans: list[slice]) -> None:
        """Parse the statements that may break a rule, all in one call, and check their trees."""
        import json

        from pglast import parser

        joined = ";\n".join(text[sp] for sp in spans)
        stmts = json.loads(parser.parse_sql_json(joined)).get("stmts", [])
        for sp, raw in zip(spans, stmts, strict=False):
            ((kind, node),) = raw["stmt"].items()
            self.statement(kind, node, _skip_ws(text, sp.start))

    def statement(self, kind: str, node: dict[str, Any], at: int) -> None:
        g = node.get
        if kind == "CreateStmt":
            if not g("if_not_exists"):
                self.add("create-table-if-not-exists", at, f"CREATE TABLE {_name(g('relation'))} is not idempotent")
            self.new_tables.add(_name(g("relation")))
        elif kind == "IndexStmt":
            table = _name(g("relation"))
            if not g("if_not_exists"):
                self.add("create-index-if-not-exists", at, f"CREATE INDEX {g('idxname', '')} is not idempotent")
            if g("concurrent"):
                self.concurrent_at.append(at)
            elif table not in self.new_tables:
                self.add(
                    "index-not-concurrently",
                    at,
                    f"CREATE INDEX on existing table {table} blocks writes while it builds",
                )
        elif kind in ("CreateEnumStmt", "CompositeTypeStmt", "CreateDomainStmt", "CreateRangeStmt"):
            self.add("create-type-guarded", at, "CREATE TYPE fails if the type exists (no IF NOT EXISTS)")
        elif kind == "DropStmt":
            if not g("missing_ok"):
                self.add("drop-if-exists", at, "DROP without IF EXISTS fails when the object is gone")
            if g("removeType") == "OBJECT_TABLE":
                self.add("drop-table", at, "dropping a table loses its data and breaks running code")
            if g("concurrent"):
                self.concurrent_at.append(at)
        elif kind == "RenameStmt":
            self.add("rename", at, "renaming breaks every running query that uses the old name")
        elif kind == "TransactionStmt":
            self.add("transaction-control", at, "BEGIN/COMMIT inside a migration breaks its transaction")
        elif kind == "AlterTableStmt":
            for cmd in g("cmds") or ():
                self.alter(cmd.get("AlterTableCmd", {}), _name(g("relation")), at)

    def alter(self, cmd: dict[str, Any], table: str, at: int) -> None:
        sub = cmd.get("subtype")
        existing = table not in self.new_tables
        definition = cmd.get("def") or {}
        if sub == "AT_AddColumn":
            if not cmd.get("missing_ok"):
                self.add("add-column-if-not-exists", at, f"ADD COLUMN on {table} is not idempotent")
            cons = [c.get("Constraint", {}) for c in definition.get("ColumnDef", {}).get("constraints") or []]
            kinds = {c.get("contype") for c in cons}
            default = next((c.get("raw_expr") for c in cons if c.get("contype") == "CONSTR_DEFAULT"), None)
            if "CONSTR_NOTNULL" in kinds and default is None and existing:
                self.add(
                    "not-null-column-without-default",
                    at,
                    f"NOT NULL column without DEFAULT on {table} fails as soon as the table has rows",
                )
            if existing and default and "FuncCall" in default:
                names = default["FuncCall"].get("funcname") or [{}]
                fname = names[-1].get("String", {}).get("sval", "")
                if fname in VOLATILE:
                    self.add("volatile-default", at, f"DEFAULT {fname}() rewrites {table} under an exclusive lock")
        elif sub == "AT_SetNotNull" and existing:
            self.add("set-not-null", at, f"SET NOT NULL scans {table} under an ACCESS EXCLUSIVE lock")
        elif sub == "AT_DropColumn":
            if not cmd.get("missing_ok"):
                self.add("drop-if-exists", at, "DROP COLUMN without IF EXISTS fails when the column is gone")
            self.add("drop-column", at, f"dropping {table}.{cmd.get('name')} breaks code still using it")
        elif sub == "AT_AlterColumnType" and existing:
            self.add("change-column-type", at, f"changing the type of {table}.{cmd.get('name')} rewrites the table")
        elif sub == "AT_AddConstraint" and existing:
            c = definition.get("Constraint", {})
            if c.get("contype") in ("CONSTR_FOREIGN", "CONSTR_CHECK") and not c.get("skip_validation"):
                self.add("constraint-not-valid", at, f"validating the constraint scans {table} under lock")


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
