"""A chunk split into its statements with pglast (the parser's own positions), and what a statement touches."""

from __future__ import annotations

import re
from typing import Any

from gtsd_tui.core.migrations.hashing import Chunk
from gtsd_tui.core.sql.errorpos import Location
from gtsd_tui.core.sql.pglast_load import ensure_pglast
from gtsd_tui.core.sql.sqlinfo import SyntaxProblem, parse


def statement_chunks(chunk: Chunk) -> list[Chunk]:
    """Each statement of ``chunk`` as a chunk of its own (offset and line in the file text); a chunk the
    parser refuses, or that holds one statement, is returned whole so the server reports the error."""
    if chunk.is_blank:
        return []
    if ";" not in chunk.text.rstrip().rstrip(";"):  # no separator inside: one statement, no parse needed
        return [chunk]
    parsed = parse(chunk.text)
    if isinstance(parsed, SyntaxProblem) or len(parsed) <= 1:
        return [chunk]
    out = []
    for s in parsed:
        text = chunk.text[s.start : s.end]
        lead = len(text) - len(text.lstrip())
        start = s.start + lead
        line = chunk.line + chunk.text.count("\n", 0, start)
        out.append(Chunk(chunk.index, chunk.text[start : s.end], chunk.offset + start, line))
    return out


def _range_vars(node: Any) -> Any:
    """Every ``RangeVar`` in libpg_query's JSON parse tree, in document order (a field typed RangeVar
    is written without the ``{"RangeVar": ...}`` wrapper a generic node gets, so it is told by its keys)."""
    if isinstance(node, dict):
        if "relname" in node and "relpersistence" in node:
            yield node
        for value in node.values():
            yield from _range_vars(value)
    elif isinstance(node, list):
        for item in node:
            yield from _range_vars(item)


def ident(name: str) -> str:
    """An identifier as SQL writes it: bare when lower-case and simple, else double-quoted."""
    return name if re.fullmatch(r"[a-z_][a-z0-9_$]*", name) else '"' + name.replace('"', '""') + '"'


def relations(text: str) -> list[str]:
    """Every table a statement names (``schema.name`` or ``name``, quoted where SQL needs it), in order,
    without repeats. (The JSON tree: an order of magnitude cheaper than building pglast's node objects.)"""
    import json

    ensure_pglast()
    from pglast.parser import ParseError, parse_sql_json

    try:
        tree = json.loads(parse_sql_json(text))
    except ParseError:
        return []
    out: list[str] = []
    for rv in _range_vars(tree):
        if not rv.get("relname"):
            continue
        name = ident(str(rv["relname"]))
        name = f"{ident(str(rv['schemaname']))}.{name}" if rv.get("schemaname") else name
        if name not in out:
            out.append(name)
    return out


def concurrent_index(text: str) -> tuple[str | None, str] | None:
    """(schema, index name) of a ``CREATE [UNIQUE] INDEX CONCURRENTLY name`` statement, else None."""
    ensure_pglast()
    from pglast import ast

    parsed = parse(text)
    if isinstance(parsed, SyntaxProblem) or len(parsed) != 1:
        return None
    node = parsed[0].node
    if isinstance(node, ast.IndexStmt) and node.concurrent and node.idxname:
        schema = node.relation.schemaname if node.relation is not None else None
        return (str(schema) if schema else None), str(node.idxname)
    return None


def first_token(text: str) -> int:
    """Character offset of the first token that is not a comment (0 when there is none or on error)."""
    body = text.lstrip()
    if not body.startswith(("--", "/*")):  # no comment first: the first token starts the text (no scan needed)
        return len(text) - len(body)
    ensure_pglast()
    from pglast.parser import ParseError, scan

    if not text.isascii():  # the scanner counts bytes; fall back to whitespace only
        return len(text) - len(text.lstrip())
    try:
        for tok in scan(text):
            if tok.name not in ("SQL_COMMENT", "C_COMMENT"):
                return int(tok.start)
    except ParseError:
        pass
    return len(text) - len(text.lstrip())


def display_text(text: str) -> tuple[int, str]:
    """(offset of the statement's first token, the statement without leading comments and final ``;``)."""
    start = first_token(text)
    return start, text[start:].strip().rstrip(";").rstrip()


def statement_start(text: str, chunk: Chunk) -> Location | None:
    """Where a one-statement chunk's statement starts in the file (for an error the server gave no
    position for, such as a unique violation while building an index); None for several statements."""
    from gtsd_tui.core.migrations.hashing import line_col
    from gtsd_tui.core.sql.errorpos import excerpt

    if len(statement_chunks(chunk)) != 1:
        return None
    offset = chunk.offset + first_token(chunk.text)
    line, col = line_col(text, offset)
    return Location(line, col, offset, excerpt(text, line, col))
