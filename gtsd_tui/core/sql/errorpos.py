"""Map a server error back to ``file:line:column`` and a caret excerpt."""

from __future__ import annotations

import re
from dataclasses import dataclass

from gtsd_tui.core.migrations.hashing import Chunk, line_col
from gtsd_tui.core.sql.sqlinfo import do_body_offsets

_PLPGSQL_LINE = re.compile(r"inline_code_block line (\d+)")


@dataclass(frozen=True)
class ServerError:
    sqlstate: str | None
    message: str
    detail: str | None = None
    hint: str | None = None
    statement_position: int | None = None  # 1-based, in the query sent (the chunk)
    internal_position: int | None = None  # 1-based, in internal_query
    internal_query: str | None = None
    context: str | None = None


@dataclass(frozen=True)
class Location:
    line: int
    column: int
    offset: int  # character offset in the file text
    excerpt: str  # the source line and a caret under the column


def locate(text: str, chunk: Chunk, err: ServerError) -> Location | None:
    """Where in the file the error happened, if the server said enough to tell."""
    offset: int | None = None
    if err.statement_position:
        offset = chunk.offset + err.statement_position - 1
    elif err.context and (m := _PLPGSQL_LINE.search(err.context)):
        offset = _in_do_block(chunk, int(m.group(1)), err)
    elif err.internal_query and err.internal_position:
        at = chunk.text.find(err.internal_query)
        if at >= 0:
            offset = chunk.offset + at + err.internal_position - 1
    if offset is None:
        return None
    line, col = line_col(text, offset)
    return Location(line, col, offset, excerpt(text, line, col))


def _in_do_block(chunk: Chunk, body_line: int, err: ServerError) -> int | None:
    bodies = do_body_offsets(chunk.text)
    if not bodies:
        return None
    start = bodies[0]
    if err.internal_query and len(bodies) > 1:  # several DO blocks: the one holding the statement
        for b in bodies:
            if chunk.text.find(err.internal_query.split(None, 1)[-1][:40], b) >= 0:
                start = b
                break
    # PL/pgSQL line 1 is the line the body starts on.
    pos = start
    for _ in range(body_line - 1):
        nl = chunk.text.find("\n", pos)
        if nl < 0:
            break
        pos = nl + 1
    end = chunk.text.find("\n", pos)
    line_text = chunk.text[pos : end if end >= 0 else len(chunk.text)]
    col = len(line_text) - len(line_text.lstrip())
    if err.internal_query and err.internal_position:
        words = err.internal_query.split(None, 1)
        tail = words[1] if len(words) > 1 and words[0].upper() == "SELECT" else err.internal_query
        at = line_text.find(tail[:30])
        if at >= 0:
            shift = len(err.internal_query) - len(tail)
            col = at + max(0, err.internal_position - 1 - shift)
    return chunk.offset + pos + col


def excerpt(text: str, line: int, col: int) -> str:
    lines = text.splitlines()
    if not 1 <= line <= len(lines):
        return ""
    src = lines[line - 1].replace("\t", " ")
    gutter = f"{line:>5} | "
    return f"{gutter}{src}\n{' ' * len(gutter)}{' ' * (col - 1)}^"
