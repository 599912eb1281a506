"""One migration in one round trip: its chunks sent as a single simple query, errors still located.

drizzle-orm (and psql) send each statement and wait for it. Here a transactional migration's chunks
go out as one ``Query`` message, each chunk followed by a marker statement (``SELECT '<MARK><nonce>:<i>'``), and
the results are read one by one (``PQgetResult`` returns a result per statement of a simple query).
The markers seen before the error say which chunk failed; the server's error position, counted in
the whole query, is moved back into that chunk, so the caller locates the error at ``file:line:col``
exactly as when the chunk had been sent alone. The server stops at the first error and skips the
rest (the transaction is then aborted: the caller rolls back).

Joining chunks is only safe when each one is lexically complete: a chunk with an unterminated quote,
comment or dollar quote fails on its own under drizzle-orm, but joined to the next one it could
swallow it. :func:`batchable` checks that with PostgreSQL's own scanner (pglast) whenever a chunk
holds a quote, a dollar sign or a block comment; a step that is not batchable runs chunk by chunk.
"""

from __future__ import annotations

import re
import secrets
import select
from dataclasses import replace
from typing import Any

import psycopg
from psycopg import pq

from gtsd_tui.core.migrations.hashing import Chunk
from gtsd_tui.core.sql.errorpos import ServerError
from gtsd_tui.db.pgresult import error_of

MARK = "gtsd-tui:end-of-chunk:"
# A nonce per process: no statement of a migration can return a marker of this run by chance.
_NONCE = secrets.token_hex(8)
_RISKY = ("'", '"', "$", "/*")
REJECTED = -2  # run_batch's index when the server refused the whole query (see there)


# The lexical shapes of a chunk without dollar quotes, block comments or backslashes: a run of plain
# characters, a line comment, a string ('' inside), a quoted identifier ("" inside). A chunk made of them
# alone ends outside any quote (how PostgreSQL's scanner reads these, standard_conforming_strings on);
# anything else (an unterminated quote, E'\'', $$, /* */) goes to the scanner itself.
_PLAIN = re.compile(r"""(?:[^'"$/\\-]++|-(?!-)|/(?!\*)|--[^\n]*+|'[^'\\]*+(?:''[^'\\]*+)*+'|"(?:[^"]++|"")++")*+""")


def complete(text: str) -> bool:
    """True when ``text`` ends outside any quote, quoted identifier, dollar quote or block comment."""
    if not any(r in text for r in _RISKY):
        return True
    if _PLAIN.fullmatch(text) is not None:  # quotes and identifiers that all close: no parser needed
        return True
    try:
        from gtsd_tui.core.sql.pglast_load import ensure_pglast

        ensure_pglast()  # one import lock for every thread that may load the parser
        from pglast.parser import scan

        scan(text)
    except Exception:  # unterminated anything (pglast's ParseError), or a scanner we cannot load
        return False
    return True


def batchable(chunks: list[Chunk]) -> bool:
    return all(complete(c.text) for c in chunks)


def run_batch(
    conn: psycopg.Connection[Any], chunks: list[Chunk], *, head: str = "", tail: str = ""
) -> tuple[int, ServerError] | None:
    """Send ``head``, the chunks (each followed by a marker) and ``tail`` as one query.

    None when every statement succeeded; else ``(index, error)``: the index of the failing chunk
    (-1 for ``head``, ``len(chunks)`` for ``tail``), with the error's statement position made relative
    to that chunk's text; or ``(REJECTED, error)`` when the server refused the whole query before
    running any of it (PostgreSQL parses a simple query whole first: a syntax error in any chunk stops
    them all, the earlier ones unrun, so only running them one by one tells which fails first, and
    how). The connection is left as the server left it (an aborted transaction after an error inside
    ``BEGIN``; idle after a rejection outside a transaction block)."""
    parts: list[str] = []
    starts: list[int] = []
    pos = 0
    if head:
        parts.append(head + ";\n")
        pos += len(parts[-1])
    for i, chunk in enumerate(chunks):
        starts.append(pos)
        mark = f"\n;\nSELECT '{MARK}{_NONCE}:{i}';\n"  # a line break first: a chunk may end in a -- comment
        parts += (chunk.text, mark)
        pos += len(chunk.text) + len(mark)
    tail_start = pos
    if tail:
        parts.append(tail)
    _send(conn, "".join(parts).encode("utf-8"))
    pg = conn.pgconn
    done = 0  # markers seen: the chunks that completed
    results = 0
    failure: tuple[int, ServerError] | None = None
    while (res := _next_result(pg)) is not None:
        results += 1
        if failure is not None:
            if res.status == pq.ExecStatus.FATAL_ERROR:  # as PQexec does: later errors' texts appended
                failure = (failure[0], _appended(failure[1], res))
            continue  # drain
        if res.status == pq.ExecStatus.FATAL_ERROR:
            err = error_of(res)
            assert err is not None
            if results == 1 and _rejected(err, head, starts, chunks):
                failure = (REJECTED, err)
            elif done < len(chunks):
                failure = (done, _relative(err, starts[done]))
            else:
                failure = (len(chunks), _relative(err, tail_start))
        elif (seen := _mark_index(res)) is not None:
            done = seen + 1
    return failure


def _rejected(err: ServerError, head: str, starts: list[int], chunks: list[Chunk]) -> bool:
    """The first result is an error: the whole query was refused unless it is the first chunk's own
    (no ``head`` before it, and no position outside its text)."""
    if head or not chunks:
        return True  # BEGIN does not fail: the parse of the query did
    pos = err.statement_position
    return pos is not None and not starts[0] < pos <= starts[0] + len(chunks[0].text)


def _appended(err: ServerError, res: Any) -> ServerError:
    more = res.error_message.decode("utf-8", "replace").strip()
    return replace(err, message=f"{err.message}\n{more}") if more and more not in err.message else err


def _relative(err: ServerError, start: int) -> ServerError:
    if err.statement_position is None:
        return err
    return replace(err, statement_position=err.statement_position - start)


def _mark_index(res: Any) -> int | None:
    """The chunk index a marker's row names; None for any other result."""
    if res.status != pq.ExecStatus.TUPLES_OK or res.nfields != 1 or res.ntuples != 1:
        return None
    value = res.get_value(0, 0)
    prefix = f"{MARK}{_NONCE}:".encode()
    if value is None or not value.startswith(prefix):
        return None
    return int(value[len(prefix) :])


def _next_result(pg: Any) -> Any:
    """``PQgetResult`` without blocking inside it: psycopg's binding holds the GIL there, which would
    keep the main thread (Ctrl-C, the console) from running, and so from cancelling, until the
    statement ended. The wait is a ``select`` on the socket, which lets them run."""
    try:
        while pg.is_busy():
            select.select([pg.socket], [], [])
            pg.consume_input()
    except psycopg.OperationalError:
        pass  # the connection broke: libpq's next result says how, as PQexec would have
    return pg.get_result()


def _send(conn: psycopg.Connection[Any], data: bytes) -> None:
    """``PQsendQuery`` and flush all of it (psycopg keeps the connection in nonblocking mode)."""
    pg = conn.pgconn
    pg.send_query(data)
    while pg.flush() == 1:  # more to send: wait until the socket takes it, reading what arrives meanwhile
        readable, _, _ = select.select([pg.socket], [pg.socket], [])
        if readable:
            pg.consume_input()
