"""Statements inside ``DO $$ ... $$`` blocks: the PL/pgSQL body is parsed with pglast and each SQL
statement in it is linted, its position mapped back to the file. Older drizzle-kit wraps foreign keys
and enums in ``DO $$ BEGIN ...; EXCEPTION WHEN duplicate_object THEN null; END $$;``: the handler
makes them re-runnable, so the idempotency rules stay silent inside such a block."""

from __future__ import annotations

from typing import TYPE_CHECKING

from msgspec import Struct, field, json

from gtsd_tui.core.lint.tree import DoStmt, located

if TYPE_CHECKING:
    from gtsd_tui.core.lint.engine import Linter


class PlExpr(Struct, gc=False):
    query: str = ""


class PlSql(Struct, gc=False):
    expr: PlExpr | None = field(default=None, name="PLpgSQL_expr")


class PlExecSql(Struct, gc=False):
    sqlstmt: PlSql | None = None


class PlElsif(Struct, gc=False):
    stmts: list[PlStmt] = []


class PlElsifNode(Struct, gc=False):
    elsif: PlElsif | None = field(default=None, name="PLpgSQL_if_elsif")


class PlException(Struct, gc=False):
    action: list[PlStmt] = []


class PlExceptionNode(Struct, gc=False):
    exception: PlException | None = field(default=None, name="PLpgSQL_exception")


class PlExceptionList(Struct, gc=False):
    exc_list: list[PlExceptionNode] = []


class PlExceptions(Struct, gc=False):
    block: PlExceptionList | None = field(default=None, name="PLpgSQL_exception_block")


class PlBody(Struct, gc=False):
    """Any statement with nested statements: block, IF, the loops."""

    body: list[PlStmt] = []
    then_body: list[PlStmt] = []
    elsif_list: list[PlElsifNode] = []
    else_body: list[PlStmt] = []
    exceptions: PlExceptions | None = None


class PlStmt(Struct, gc=False):
    execsql: PlExecSql | None = field(default=None, name="PLpgSQL_stmt_execsql")
    block: PlBody | None = field(default=None, name="PLpgSQL_stmt_block")
    if_: PlBody | None = field(default=None, name="PLpgSQL_stmt_if")
    loop: PlBody | None = field(default=None, name="PLpgSQL_stmt_loop")
    while_: PlBody | None = field(default=None, name="PLpgSQL_stmt_while")
    fori: PlBody | None = field(default=None, name="PLpgSQL_stmt_fori")
    fors: PlBody | None = field(default=None, name="PLpgSQL_stmt_fors")
    foreach: PlBody | None = field(default=None, name="PLpgSQL_stmt_foreach_a")


class PlFunction(Struct, gc=False):
    action: PlStmt | None = None


class PlFunctionNode(Struct, gc=False):
    function: PlFunction | None = field(default=None, name="PLpgSQL_function")


_decoder = json.Decoder(list[PlFunctionNode])


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


def do_block(lint: Linter, do: DoStmt) -> None:
    from pglast import parser

    lang, body = do.body
    if lang.lower() != "plpgsql" or not body.strip():
        return
    src = f"CREATE FUNCTION gtsd_do() RETURNS void LANGUAGE plpgsql AS $gtsd_body${body}$gtsd_body$;"
    try:
        tree = _decoder.decode(parser.parse_plpgsql_json(src))
    except parser.ParseError:
        return  # PostgreSQL reports PL/pgSQL errors only when the block runs; not a syntax-error here
    queries: list[str] = []
    guarded = False
    for node in tree:
        if node.function is not None and node.function.action is not None:
            guarded = _walk([node.function.action], queries) or guarded
    text, outer_first = lint.text, lint.first
    outer_ignored = lint._statement_ignores() if lint._has_ignores else frozenset[str]()
    body_at = text.find(body, outer_first)  # verbatim for $$-quoted bodies
    cursor = 0
    saved = lint.in_do
    lint.in_do = guarded
    try:
        for q in queries:
            i = body.find(q, cursor)
            start = (body_at + i) if body_at >= 0 and i >= 0 else outer_first
            cursor = i + len(q) if i >= 0 else cursor
            try:
                raws = located(parser.parse_sql_json(q))
            except parser.ParseError:
                continue  # dynamic or PL/pgSQL-only syntax
            for raw in raws:
                lint.begin(start if body_at >= 0 and i >= 0 else outer_first, 0, q.isascii())
                if body_at < 0 or i < 0:
                    lint.first = outer_first
                if lint._has_ignores:
                    lint._ignored = outer_ignored | lint._statement_ignores()
                lint.statement(raw.stmt)
    finally:
        lint.in_do = saved
