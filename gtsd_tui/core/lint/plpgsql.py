"""Statements inside ``DO $$ ... $$`` blocks: the PL/pgSQL body is parsed with pglast and each SQL
statement in it is linted, its position mapped back to the file. Older drizzle-kit wraps foreign keys
and enums in ``DO $$ BEGIN ...; EXCEPTION WHEN duplicate_object THEN null; END $$;``: the handler
makes them re-runnable, so the idempotency rules stay silent inside such a block; so does an ``IF NOT
EXISTS (SELECT ... FROM pg_indexes ...) THEN`` around them (the shape of dittofeed's migrations).

Cheap where it can be: a body with none of the words that start a statement a rule reads (ALTER,
CREATE, DROP, ...) is not parsed at all; drizzle-kit's own shape (one DDL statement in ``BEGIN ...
EXCEPTION WHEN duplicate_object THEN null; END``) is read without the PL/pgSQL parser; and what a body
holds is cached by its text."""

from __future__ import annotations

import re
from functools import lru_cache

from gtsd_tui.core.lint.tree import DoStmt, Node, RawStmt, child, children, located, read_list
from gtsd_tui.core.sql.pglast_load import lint_parser

TYPE_CHECKING = False
if TYPE_CHECKING:
    from gtsd_tui.core.lint.engine import Linter


class PlExpr(Node):
    query = ""


class PlSql(Node):
    expr = child(PlExpr, "PLpgSQL_expr")


class PlExecSql(Node):
    sqlstmt = child(PlSql, "sqlstmt")


class PlElsif(Node):
    stmts: list[PlStmt]


class PlElsifNode(Node):
    elsif = child(PlElsif, "PLpgSQL_if_elsif")


class PlException(Node):
    action: list[PlStmt]


class PlExceptionNode(Node):
    exception = child(PlException, "PLpgSQL_exception")


class PlExceptionList(Node):
    exc_list = children(PlExceptionNode, "exc_list")


class PlExceptions(Node):
    block = child(PlExceptionList, "PLpgSQL_exception_block")


class PlBody(Node):
    """Any statement with nested statements: block, IF, the loops."""

    body: list[PlStmt]
    then_body: list[PlStmt]
    elsif_list = children(PlElsifNode, "elsif_list")
    else_body: list[PlStmt]
    exceptions = child(PlExceptions, "exceptions")
    cond = child(PlSql, "cond")  # IF's condition


class PlStmt(Node):
    execsql = child(PlExecSql, "PLpgSQL_stmt_execsql")
    block = child(PlBody, "PLpgSQL_stmt_block")
    if_ = child(PlBody, "PLpgSQL_stmt_if")
    loop = child(PlBody, "PLpgSQL_stmt_loop")
    while_ = child(PlBody, "PLpgSQL_stmt_while")
    fori = child(PlBody, "PLpgSQL_stmt_fori")
    fors = child(PlBody, "PLpgSQL_stmt_fors")
    foreach = child(PlBody, "PLpgSQL_stmt_foreach_a")


# the fields that hold statements, set once PlStmt exists
PlElsif.stmts = children(PlStmt, "stmts")
PlException.action = children(PlStmt, "action")
PlBody.body = children(PlStmt, "body")
PlBody.then_body = children(PlStmt, "then_body")
PlBody.else_body = children(PlStmt, "else_body")


class PlFunction(Node):
    action = child(PlStmt, "action")


class PlFunctionNode(Node):
    function = child(PlFunction, "PLpgSQL_function")


def _walk(stmts: list[PlStmt], queries: list[str]) -> bool:
    """Collect the SQL of every ``execsql`` statement; True when a block has an exception handler."""
    handler = False
    for st in stmts:
        if st.execsql is not None:
            if st.execsql.sqlstmt and st.execsql.sqlstmt.expr:
                queries.append(st.execsql.sqlstmt.expr.query)
            continue
        for b in (st.block, st.if_, st.loop, st.while_, st.fori, st.fors, st.foreach):
            if b is None:
                continue
            if b is st.if_ and b.cond and b.cond.expr and _NOT_EXISTS.match(b.cond.expr.query):
                handler = True  # IF NOT EXISTS (SELECT ... FROM pg_indexes ...) THEN CREATE ...: guarded
            handler = _walk(b.body, queries) or _walk(b.then_body, queries) or handler
            handler = _walk(b.else_body, queries) or handler
            for e in b.elsif_list:
                if e.elsif is not None:
                    handler = _walk(e.elsif.stmts, queries) or handler
            if b.exceptions is not None:
                handler = True
                for ex in b.exceptions.block.exc_list if b.exceptions.block else []:
                    if ex.exception is not None:
                        _walk(ex.exception.action, queries)
    return handler


_NOT_EXISTS = re.compile(r"\s*NOT\s+EXISTS\s*\(", re.IGNORECASE)
# The first words of the statements ``statements.check`` reads (transaction control inside PL/pgSQL is
# PL/pgSQL's own, never a SQL statement); a body without any of them cannot produce a finding.
_RULE_WORD = re.compile(r"\b(?:alter|create|drop|update|truncate|reindex|set|reset|do)\b", re.IGNORECASE)
# What drizzle-kit 0.2x writes around a foreign key or an enum: one statement, the duplicate handler.
_DRIZZLE = re.compile(
    r"\s*BEGIN\s+(?P<sql>(?:ALTER|CREATE)\s[^;$]*);\s*EXCEPTION\s+WHEN\s+duplicate_object\s+THEN\s+null\s*;"
    r"\s*END\s*;?\s*",
    re.IGNORECASE,
)
Body = tuple[tuple[tuple[str, list[RawStmt] | None], ...], bool]


def _plpgsql_queries(body: str) -> tuple[list[str], bool] | None:
    """The PL/pgSQL parser's view: the SQL of each ``execsql`` statement, and whether a handler guards."""
    parser = lint_parser()

    src = f"CREATE FUNCTION gtsd_do() RETURNS void LANGUAGE plpgsql AS $gtsd_body${body}$gtsd_body$;"
    try:
        tree = read_list(PlFunctionNode, parser.parse_plpgsql_json(src))
    except parser.ParseError:
        return None  # PostgreSQL reports PL/pgSQL errors only when the block runs; not a syntax-error here
    queries: list[str] = []
    guarded = False
    for node in tree:
        if node.function is not None and node.function.action is not None:
            guarded = _walk([node.function.action], queries) or guarded
    return queries, guarded


def _drizzle_queries(body: str) -> tuple[list[str], bool] | None:
    """drizzle-kit's shape read from the text: what ``_plpgsql_queries`` returns for it, without the parser."""
    m = _DRIZZLE.fullmatch(body)
    if m is None:
        return None
    sql = m.group("sql").rstrip()
    return None if "--" in sql or "/*" in sql else ([sql], True)


@lru_cache(maxsize=1024)
def _read(body: str) -> Body | None:
    """The SQL statements of a PL/pgSQL body, each with its trees (None: not plain SQL), and whether an
    exception handler guards them; None when the body does not parse."""
    parser = lint_parser()

    found = _drizzle_queries(body) or _plpgsql_queries(body)
    if found is None:
        return None
    out: list[tuple[str, list[RawStmt] | None]] = []
    for q in found[0]:
        try:
            out.append((q, located(parser.parse_sql_json(q))))
        except parser.ParseError:
            out.append((q, None))  # dynamic or PL/pgSQL-only syntax
    return tuple(out), found[1]


def do_block(lint: Linter, do: DoStmt) -> None:
    lang, body = do.body
    if lang.lower() != "plpgsql" or not _RULE_WORD.search(body):
        return
    read = _read(body)
    if read is None:
        return
    queries, guarded = read
    text, outer_first = lint.text, lint.first
    outer_ignored = lint._statement_ignores() if lint._has_ignores else frozenset[str]()
    body_at = text.find(body, outer_first)  # verbatim for $$-quoted bodies
    cursor = 0
    saved = lint.in_do
    lint.in_do = guarded
    try:
        for q, raws in queries:
            i = body.find(q, cursor)
            start = (body_at + i) if body_at >= 0 and i >= 0 else outer_first
            cursor = i + len(q) if i >= 0 else cursor
            for raw in raws or ():
                located = body_at >= 0 and i >= 0
                lint.begin(start if located else outer_first, 0, q.isascii(), start + len(q) if located else -1)
                if not located:
                    lint.first = outer_first
                if lint._has_ignores:
                    lint._ignored = outer_ignored | lint._statement_ignores()
                lint.statement(raw.stmt)
    finally:
        lint.in_do = saved
