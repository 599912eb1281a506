"""Statements inside ``DO $$ ... $$`` blocks: the PL/pgSQL body is parsed with pglast and each SQL
statement in it is linted, its position mapped back to the file. Older drizzle-kit wraps foreign keys
and enums in ``DO $$ BEGIN ...; EXCEPTION WHEN duplicate_object THEN null; END $$;``: the handler
makes them re-runnable, so the idempotency rules stay silent inside such a block."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec

from gtsd_tui.core.lint.tree import DoStmt, located

if TYPE_CHECKING:
    from gtsd_tui.core.lint.engine import Linter


def _walk(node: Any, queries: list[str]) -> bool:
    """Collect the SQL of every ``execsql`` statement; True when a block has an exception handler."""
    handler = False
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "PLpgSQL_stmt_execsql":
                queries.append(v["sqlstmt"]["PLpgSQL_expr"]["query"])
                continue
            if k == "exceptions":
                handler = True
            handler = _walk(v, queries) or handler
    elif isinstance(node, list):
        for v in node:
            handler = _walk(v, queries) or handler
    return handler


def do_block(lint: Linter, do: DoStmt) -> None:
    from pglast import parser

    lang, body = do.body
    if lang.lower() != "plpgsql" or not body.strip():
        return
    src = f"CREATE FUNCTION gtsd_do() RETURNS void LANGUAGE plpgsql AS $gtsd_body${body}$gtsd_body$;"
    try:
        tree = msgspec.json.decode(parser.parse_plpgsql_json(src))
    except (parser.ParseError, msgspec.DecodeError):
        return  # PostgreSQL reports PL/pgSQL errors only when the block runs; not a syntax-error here
    queries: list[str] = []
    guarded = _walk(tree, queries)
    text, outer_first = lint.text, lint.first
    outer_ignored = lint._statement_ignores()
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
                lint._ignored = outer_ignored | lint._statement_ignores()
                lint.statement(raw.stmt)
    finally:
        lint.in_do = saved
