"""One migration in one round trip: its chunks sent as a single simple query, errors still located.

drizzle-orm (and psql) send each statement and wait for it. Here a transactional migration's chunks
go out as one ``Query`` message and the results are read one by one (``PQgetResult`` returns one result
per statement of a simple query). Which chunk a result belongs to is known by counting: a chunk that is
plainly one statement (or none: comments, blank) gives exactly that many results (:func:`results`);
any other chunk (several statements, a DO block, anything the plain-shape match cannot count) is
followed by a marker statement (``SELECT '<MARK><nonce>:<i>'``) whose result closes it. The results
seen before the error say which chunk failed and how many of its statements succeeded; the server's
error position, counted in the whole query, is moved back into that chunk, so the caller locates the
error at ``file:line:col`` exactly as when the chunk had been sent alone. The server stops at the first
error and skips the rest (the transaction is then aborted: the caller rolls back). drizzle-kit writes
one statement per chunk, so its migrations go with no marker at all (a marker is a statement the
server parses, plans and answers: about a sixth of its CPU on drizzle-kit's shapes).

Joining chunks is only safe when each one is lexically complete: a chunk with an unterminated quote,
comment or dollar quote fails on its own under drizzle-orm, but joined to the next one it could
swallow it. :func:`batchable` checks that by the plain shapes of ``core/sql/plain.py`` (strings, quoted
identifiers, line comments and dollar quotes that all close: drizzle-kit's output, DO blocks included)
and otherwise with PostgreSQL's own scanner (pglast); a step that is not batchable runs chunk by chunk.
"""

from __future__ import annotations

import re
import secrets
import select
from dataclasses import replace
from typing import Any, NamedTuple

import psycopg
from psycopg import pq

from gtsd_tui.core.migrations.hashing import Chunk
from gtsd_tui.core.sql.errorpos import ServerError
from gtsd_tui.core.sql.plain import NONE, ONE, PLAIN
from gtsd_tui.db.pgresult import error_of

MARK = "gtsd-tui:end-of-chunk:"
# A nonce per process: no statement of a migration can return a marker of this run by chance.
_NONCE = secrets.token_hex(8)
_RISKY = ("'", '"', "$", "/*")
REJECTED = -2  # run_batch's index when the server refused the whole query (see there)


_PLAIN, _ONE, _NONE = PLAIN, ONE, NONE  # the shapes told without a parser (core/sql/plain.py)
_COPY = re.compile(r"\bcopy\b", re.IGNORECASE)  # COPY ... TO STDOUT gives two results: left to a marker


def results(text: str) -> int | None:
    """How many results the server returns for ``text`` (a lexically complete chunk) sent in a simple
    query: its statements, empty ones left out; None when that is not told for sure (a marker follows).

    Plain shapes are counted by the patterns above (no parser: drizzle-kit's output); a plain chunk of
    several statements is left to a marker (loading the parser would cost more than the marker). A
    chunk with a dollar quote, a block comment or a backslash, which :func:`complete` has scanned
    already, is counted from the scanner's tokens."""
    if _NONE.fullmatch(text) is not None:
        return 0
    if _ONE.fullmatch(text) is not None:
        return 1 if _COPY.search(text) is None else None
    if _PLAIN.fullmatch(text) is not None:
        return None
    return _scanned_results(text)


def _scanned_results(text: str) -> int | None:
    """The statements of ``text`` by PostgreSQL's scanner: the ``;`` outside parentheses; None for a
    ``;`` inside them (a rule's actions), ``BEGIN ATOMIC`` bodies, ``COPY``, or a text it refuses."""
    try:
        from gtsd_tui.core.sql.pglast_load import ensure_pglast

        ensure_pglast()
        from pglast.parser import scan

        tokens = scan(text)
    except Exception:
        return None
    count, depth, open_statement = 0, 0, False
    for token in tokens:
        name = token.name
        if name in ("SQL_COMMENT", "C_COMMENT"):
            continue
        if name in ("ATOMIC", "COPY"):
            return None
        if name == "ASCII_59":
            if depth:
                return None
            count, open_statement = count + open_statement, False
            continue
        depth += (name == "ASCII_40") - (name == "ASCII_41")
        open_statement = True
    return count + open_statement


def complete(text: str) -> bool:
    """True when ``text`` ends outside any quote, quoted identifier, dollar quote or block comment."""
    if not any(r in text for r in _RISKY):
        return True
    if _PLAIN.fullmatch(text) is not None:  # quotes, identifiers and dollar quotes that all close: no parser
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


class Failure(NamedTuple):
    at: int  # the failing chunk; -1 for ``head``, ``len(chunks)`` for ``tail``, or REJECTED
    error: ServerError
    done: int = 0  # the statements of that chunk that succeeded before it (results counted)


class _Results:
    """Which chunk the next result belongs to: a counted chunk owns as many results as its statements,
    any other one the results up to its marker."""

    def __init__(self, head: int, counts: list[int | None]) -> None:
        self.counts = counts
        self.index, self.done = -1, 0
        self.left: int | None = head
        self._settle()

    def _settle(self) -> None:
        while self.left == 0:  # the current chunk is over: on to the next (a chunk of no statement too)
            self.index, self.done = self.index + 1, 0
            self.left = self.counts[self.index] if self.index < len(self.counts) else None

    def ok(self, res: Any) -> None:
        if self.left is None:  # a marked chunk (or the tail): its marker closes it
            if 0 <= self.index < len(self.counts) and _mark_index(res) == self.index:
                self.left = 0
                self._settle()
            else:
                self.done += 1
            return
        self.left -= 1
        self.done += 1
        self._settle()


def run_batch(
    conn: psycopg.Connection[Any],
    chunks: list[Chunk],
    *,
    head: str = "",
    tail: str = "",
    rows: dict[int, list[str | None]] | None = None,
) -> Failure | None:
    """Send ``head``, the chunks (a marker after each one not counted) and ``tail`` as one query.

    None when every statement succeeded; else a :class:`Failure`: the index of the failing chunk
    (-1 for ``head``, ``len(chunks)`` for ``tail``), with the error's statement position made relative
    to that chunk's text, and how many of the chunk's statements succeeded before it; or ``REJECTED``
    when the server refused the whole query before running any of it (PostgreSQL parses a simple query
    whole first: a syntax error in any chunk stops them all, the earlier ones unrun, so only running
    them one by one tells which fails first, and how). The connection is left as the server left it
    (an aborted transaction after an error inside ``BEGIN``; idle after a rejection outside a
    transaction block). ``rows``: filled with the first row (as text) of each counted chunk that
    returned one, by chunk index."""
    parts: list[str] = []
    starts: list[int] = []
    counts = [results(c.text) for c in chunks]
    pos = 0
    if head:
        parts.append(head + ";\n")
        pos += len(parts[-1])
    for i, chunk in enumerate(chunks):
        starts.append(pos)
        # a line break first: a chunk may end in a -- comment
        end = "\n;\n" if counts[i] is not None else f"\n;\nSELECT '{MARK}{_NONCE}:{i}';\n"
        parts += (chunk.text, end)
        pos += len(chunk.text) + len(end)
    tail_start = pos
    if tail:
        parts.append(tail)
    _send(conn, "".join(parts).encode("utf-8"))
    pg = conn.pgconn
    heads = results(head)
    if heads is None:
        raise ValueError(f"a batch's head must be plain statements: {head[:40]!r}")
    seen = _Results(heads, counts)
    n = 0
    failure: Failure | None = None
    while (res := _next_result(pg)) is not None:
        n += 1
        if failure is not None:
            if res.status == pq.ExecStatus.FATAL_ERROR:  # as PQexec does: later errors' texts appended
                failure = failure._replace(error=_appended(failure.error, res))
            continue  # drain
        if res.status == pq.ExecStatus.FATAL_ERROR:
            err = error_of(res)
            assert err is not None
            if n == 1 and _rejected(err, head, starts, chunks):
                failure = Failure(REJECTED, err)
            else:
                at = seen.index
                start = starts[at] if 0 <= at < len(chunks) else (tail_start if at >= 0 else 0)
                failure = Failure(at, _relative(err, start), seen.done)
        else:
            if rows is not None and seen.left is not None and 0 <= seen.index < len(chunks):
                _keep_row(rows, seen.index, res)
            seen.ok(res)
    return failure


def _keep_row(rows: dict[int, list[str | None]], index: int, res: Any) -> None:
    if res.status == pq.ExecStatus.TUPLES_OK and res.ntuples >= 1:
        values = (res.get_value(0, i) for i in range(res.nfields))
        rows[index] = [v.decode("utf-8") if v is not None else None for v in values]


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
