"""A migration's statements as pglast parse trees, including the statements inside ``DO $$ ... $$``
blocks (read with the PL/pgSQL parser). Shared by revert and the object footprints of merges."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from gtsd_tui.core.migrations.hashing import split_chunks
from gtsd_tui.core.sql.pglast_load import ensure_pglast


@dataclass(frozen=True)
class Parsed:
    kind: str  # the parse node's type, e.g. "CreateStmt"
    node: dict[str, Any]
    text: str
    in_do: bool  # read from a DO block's body


@dataclass(frozen=True)
class Unparsed:
    text: str  # a breakpoint chunk, or a query of a DO body, that pglast cannot parse


def parse_statements(sql: str) -> list[tuple[str, dict[str, Any], str]]:
    """``(kind, node, text)`` per statement; raises ``pglast.parser.ParseError``."""
    ensure_pglast()
    from pglast import parser

    out = []
    for sp in parser.split(sql, only_slices=True):
        text = sql[sp]
        (raw,) = json.loads(parser.parse_sql_json(text))["stmts"]
        ((kind, node),) = raw["stmt"].items()
        out.append((kind, node, text))
    return out


def do_body_queries(node: dict[str, Any]) -> list[str] | None:
    """The SQL statements a ``DoStmt``'s PL/pgSQL body runs (``None``: no body, or not parsable)."""
    ensure_pglast()
    from pglast import parser

    body = next(
        (
            a["DefElem"]["arg"]["String"]["sval"]
            for a in node.get("args", [])
            if a.get("DefElem", {}).get("defname") == "as"
        ),
        None,
    )
    if body is None:
        return None
    src = f"CREATE FUNCTION gtsd_do() RETURNS void LANGUAGE plpgsql AS $gtsd_body${body}$gtsd_body$;"
    try:
        tree = parser.parse_plpgsql_json(src)
    except parser.ParseError:
        return None
    queries: list[str] = []

    def walk(x: Any) -> None:
        if isinstance(x, dict):
            if "PLpgSQL_stmt_execsql" in x:
                queries.append(x["PLpgSQL_stmt_execsql"]["sqlstmt"]["PLpgSQL_expr"]["query"])
                return
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    walk(json.loads(tree))
    return queries


def walk_statements(text: str) -> Iterator[Parsed | Unparsed]:
    """Every statement of a migration in file order; a parsable DO block yields the statements of its
    body (``in_do``) in place of itself, and a DO block whose body cannot be read yields itself."""
    ensure_pglast()
    from pglast import parser

    for chunk in split_chunks(text):
        if chunk.is_blank:
            continue
        try:
            stmts = parse_statements(chunk.text)
        except parser.ParseError:
            yield Unparsed(chunk.text)
            continue
        for kind, node, stmt_text in stmts:
            inner = do_body_queries(node) if kind == "DoStmt" else None
            if inner is None:
                yield Parsed(kind, node, stmt_text, False)
                continue
            for query in inner:
                try:
                    nested = parse_statements(query)
                except parser.ParseError:
                    yield Unparsed(query)
                    continue
                for k, n, t in nested:
                    yield Parsed(k, n, t, True)
