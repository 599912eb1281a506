"""Statement analysis with pglast (the real PostgreSQL parser): statements, positions, and
statements that cannot run inside a transaction block."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from gtsd_tui.core.sql.pglast_load import ensure_pglast
from gtsd_tui.core.sql.plain import bare


@dataclass(frozen=True)
class Statement:
    node: Any  # the pglast statement node
    start: int  # character offset in the parsed text
    end: int

    @property
    def kind(self) -> str:
        return type(self.node).__name__


@dataclass(frozen=True)
class SyntaxProblem:
    message: str
    offset: int  # character offset in the parsed text


@lru_cache(maxsize=256)
def parse(text: str) -> tuple[Statement, ...] | SyntaxProblem:
    """Statements of ``text`` with their character ranges, or the parser's error and position."""
    ensure_pglast()  # imported on first use (a quarter of a second of start-up), by one thread at a time
    import pglast

    try:
        raw = pglast.parse_sql(text)
    except pglast.parser.ParseError as exc:
        message, offset = (exc.args + (0,))[:2] if exc.args else ("syntax error", 0)
        return SyntaxProblem(str(message), int(offset or 0))
    out = []
    for r in raw:
        start = r.stmt_location or 0
        end = start + r.stmt_len if r.stmt_len else len(text)
        out.append(Statement(r.stmt, start, end))
    return tuple(out)


def _defnames(params: Any) -> set[str]:
    ensure_pglast()
    from pglast import ast

    return {str(p.defname) for p in params or () if isinstance(p, ast.DefElem)}


def non_transactional_reason(node: Any) -> str | None:
    """Why PostgreSQL refuses this statement inside a transaction block, or None."""
    ensure_pglast()
    from pglast import ast

    if isinstance(node, ast.IndexStmt) and node.concurrent:
        return "CREATE INDEX CONCURRENTLY"
    if isinstance(node, ast.DropStmt) and node.concurrent:
        return "DROP INDEX CONCURRENTLY"
    if isinstance(node, ast.ReindexStmt) and "concurrently" in _defnames(node.params):
        return "REINDEX CONCURRENTLY"
    if isinstance(node, ast.AlterTableStmt):
        for cmd in node.cmds or ():
            part = getattr(cmd, "def_", None)
            if isinstance(part, ast.PartitionCmd) and part.concurrent:
                return "DETACH PARTITION ... CONCURRENTLY"
    if isinstance(node, ast.VacuumStmt):
        return "VACUUM" if node.is_vacuumcmd else None  # a plain ANALYZE runs fine in a transaction
    simple: dict[type, str] = {
        ast.CreatedbStmt: "CREATE DATABASE",
        ast.DropdbStmt: "DROP DATABASE",
        ast.AlterSystemStmt: "ALTER SYSTEM",
        ast.CreateTableSpaceStmt: "CREATE TABLESPACE",
        ast.DropTableSpaceStmt: "DROP TABLESPACE",
    }
    for cls, reason in simple.items():
        if isinstance(node, cls):
            return reason
    if isinstance(node, ast.CreateSubscriptionStmt):
        return "CREATE SUBSCRIPTION"
    return None


@dataclass(frozen=True)
class ChunkInfo:
    """What the apply planner needs to know about one chunk."""

    statements: int
    non_tx: tuple[tuple[str, int], ...]  # (reason, char offset in chunk) of each non-transactional statement
    syntax: SyntaxProblem | None


# Every statement refused in a transaction block needs one of these words: without them, no parse.
_NON_TX_WORDS = ("concurrently", "vacuum", "database", "system", "tablespace", "subscription")


# One of those words as a keyword: no identifier character either side. A plain chunk is searched with
# its strings, quoted identifiers, comments and dollar-quoted bodies blanked out (``core/sql/plain.py``):
# a word there ("SubscriptionGroup", a DO block's body) starts no statement PostgreSQL refuses in a
# transaction block, and the parser is not loaded for it.
_NON_TX_KEYWORD = re.compile(rf"(?<![\w$])(?:{'|'.join(_NON_TX_WORDS)})(?![\w$])", re.IGNORECASE)


def _has_non_tx_word(text: str, window: int = 1 << 20) -> bool:
    """A plain substring search (a case-insensitive regex alternation took seconds on 50 MB), in 1 MB
    windows so a huge chunk never holds the GIL for long in one call; when a word is there, in a plain
    chunk, the keyword search in its bare text decides."""
    overlap = 16
    for start in range(0, len(text), window):
        part = text[start : start + window + overlap].lower()
        if any(word in part for word in _NON_TX_WORDS):
            if len(text) <= window and (left := bare(text)) is not None:
                return _NON_TX_KEYWORD.search(left) is not None
            return True
    return False


def analyse_chunk(text: str) -> ChunkInfo:
    """Non-transactional statements of a chunk (parsed only when a keyword could introduce one)."""
    if not _has_non_tx_word(text):
        return ChunkInfo(1, (), None)
    parsed = parse(text)
    if isinstance(parsed, SyntaxProblem):
        return ChunkInfo(0, (), parsed)
    non_tx = tuple(
        (reason, s.start + _leading_ws(text, s.start))
        for s in parsed
        if (reason := non_transactional_reason(s.node)) is not None
    )
    return ChunkInfo(len(parsed), non_tx, None)


def _leading_ws(text: str, start: int) -> int:
    n = 0
    while start + n < len(text) and text[start + n].isspace():
        n += 1
    return n


_DOLLAR = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$")


def do_body_offsets(text: str) -> list[int]:
    """Character offsets where the body of each ``DO $$ ... $$`` block starts (right after ``$$``)."""
    ensure_pglast()
    from pglast import ast

    parsed = parse(text)
    if isinstance(parsed, SyntaxProblem):
        return []
    out = []
    for s in parsed:
        if isinstance(s.node, ast.DoStmt):
            m = _DOLLAR.search(text, s.start, s.end)
            if m:
                out.append(m.end())
    return out
