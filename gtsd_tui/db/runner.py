"""Apply an ApplyPlan: the rows drizzle-orm writes, under a lock, with errors located in the file."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any, NoReturn, Protocol

import psycopg
from psycopg import pq, sql
from psycopg.errors import DuplicateObject, DuplicateSchema, DuplicateTable, QueryCanceled, UniqueViolation

from gtsd_tui.core.durations import pg_duration
from gtsd_tui.core.migrations.folder import Folder
from gtsd_tui.core.migrations.hashing import Chunk
from gtsd_tui.core.migrations.plan import ALL, ApplyPlan, Step
from gtsd_tui.core.migrations.status import HistoryRow
from gtsd_tui.core.sql.errorpos import ServerError, locate
from gtsd_tui.core.sql.stmt_split import statement_chunks, statement_start
from gtsd_tui.core.sql.txcontrol import ends_transaction, undoing_statement
from gtsd_tui.core.vocab import Layout
from gtsd_tui.db import lock
from gtsd_tui.db.batch import REJECTED, batchable, results, run_batch
from gtsd_tui.db.cancel import Canceller as Canceller  # re-exported: callers name it here
from gtsd_tui.db.connect import connect, first_line
from gtsd_tui.db.failure import MigrationFailed as MigrationFailed  # re-exported: callers name it here
from gtsd_tui.db.history import ensure_table, insert_row_literal, insert_row_sql, read_rows
from gtsd_tui.db.pgresult import error_of
from gtsd_tui.db.resume import resume_concurrent_index, with_retries
from gtsd_tui.db.upgrade import upgrade_if_needed
from gtsd_tui.errors import DatabaseError


class StatementObserver(Protocol):
    """Told about every statement when a rehearsal asks the runner to go statement by statement.

    ``probe`` gives a query sent in the same round trip right after a statement of a transactional
    migration (inside its transaction; skipped when the statement fails); ``after`` gets its row.
    """

    def probe(self, conn: psycopg.Connection[Any], step: Step, stmt: Chunk) -> str | None: ...
    def after(
        self,
        conn: psycopg.Connection[Any],
        step: Step,
        stmt: Chunk,
        seconds: float,
        error: ServerError | None,
        row: list[str | None] | None,
    ) -> None: ...
    def batch_probes(self, conn: psycopg.Connection[Any], step: Step) -> tuple[str, str] | None:
        """For a transactional migration sent whole in one query: the query sent first (after BEGIN) and
        the probe sent after each statement (rows as ``probe``'s); None: statement by statement."""

    def after_batch(
        self,
        conn: psycopg.Connection[Any],
        step: Step,
        stmts: list[Chunk],
        rows: list[list[str | None]],
        error: ServerError | None,
        seconds: float,
    ) -> None:
        """The batch's answers: the probe rows of the statements that succeeded, in order, then the
        ``error`` of the next one (if any); ``seconds``: the whole round trip's time."""

    def row_probe(self, conn: psycopg.Connection[Any], step: Step) -> str | None:
        """Under ``--tx all``, where the transaction goes on after a migration: a query sent in the same
        round trip right after its tracking row (None: the row alone); ``after_row`` gets its row."""

    def after_row(self, conn: psycopg.Connection[Any], step: Step, row: list[str | None] | None) -> None:
        """The row of ``row_probe``'s query, once the migration's tracking row is written."""

    def finished(self, conn: psycopg.Connection[Any]) -> None:
        """The run is over (applied, failed and rolled back, not cancelled): ``conn`` is still open and
        outside any transaction, so a last read costs no new session. Must not raise."""


class Events(Protocol):
    def lock_wait(self, holders: list[lock.Holder], remaining: float) -> None: ...
    def plan_ready(self, plan: ApplyPlan) -> None: ...
    def step_started(self, step: Step, index: int, total: int) -> None: ...
    def step_done(self, step: Step, seconds: float) -> None: ...
    def note(self, message: str) -> None: ...


@dataclass
class RunOptions:
    schema: str
    table: str
    lock_timeout: float = 10.0  # PostgreSQL lock_timeout for the migration's statements (0 = none)
    statement_timeout: float = 600.0  # PostgreSQL statement_timeout (0 = none)
    wait_timeout: float = 60.0  # how long to wait for another migrator's lock
    xact_lock: bool = False  # transaction-scoped lock per migration (PgBouncer transaction pooling)
    retries: int = 0  # times a migration is retried after lock_not_available (rolled back in between)
    observer: StatementObserver | None = None  # set: run statement by statement, telling it around each
    batch: bool = True  # a transactional migration in one round trip when its chunks allow (db/batch.py)
    # the migrations' own ROLLBACKs (ABORT, PREPARE TRANSACTION) that ran inside a transaction, each as
    # (its migration, the statement), in order: filled by the run, shared by the copies ``replace`` makes
    undoers: list[tuple[Step, Chunk]] = field(default_factory=list)


class Cancelled(DatabaseError):
    exit_code = 130


class _Rejected(Exception):
    """The server refused a batch before running any of it (a syntax error in one of its chunks): the
    migration is run again one statement at a time, as drizzle-orm sends it, which fails where it would."""


def _one_by_one(opts: RunOptions) -> RunOptions:
    return replace(opts, batch=False)


@dataclass
class RunResult:
    plan: ApplyPlan
    applied: list[tuple[str, float]] = field(default_factory=list)
    # migrations of this run whose tracking rows a migration's own ROLLBACK undid: (tag, state now)
    rolled_back: list[tuple[str, str]] = field(default_factory=list)
    undone: list[str] = field(default_factory=list)  # one line per such ROLLBACK (file:line:col: what it undid)


def _server_error(exc: psycopg.Error) -> ServerError:
    d = exc.diag

    def num(v: Any) -> int | None:
        try:
            return int(v) if v not in (None, "") else None
        except (TypeError, ValueError):
            return None

    message = d.message_primary or str(exc).strip().splitlines()[0]
    return ServerError(
        d.sqlstate,
        message,
        d.message_detail,
        d.message_hint,
        num(d.statement_position),
        num(d.internal_position),
        d.internal_query,
        d.context,
    )


def _session_settings(conn: psycopg.Connection[Any], opts: RunOptions) -> None:
    """``lock_timeout`` and ``statement_timeout`` for the run, in one round trip."""
    sets = [
        sql.SQL("SET {} = {}").format(sql.Identifier(name), sql.Literal(pg_duration(seconds)))
        for name, seconds in (("lock_timeout", opts.lock_timeout), ("statement_timeout", opts.statement_timeout))
    ]
    conn.execute(sql.SQL("; ").join(sets), prepare=False)  # no parameters: one simple query


def run(
    url: str,
    folder: Folder,
    make_plan: Callable[[list[HistoryRow]], ApplyPlan],
    opts: RunOptions,
    events: Events,
    canceller: Canceller | None = None,
    conn: psycopg.Connection[Any] | None = None,
) -> RunResult:
    """Lock, re-read the table, plan, apply. Raises PlanRefused, MigrationFailed, LockTimeout.
    ``conn``: a session from :func:`open_session` the caller has used already (closed at the end)."""
    conn = conn or open_session(url)
    canceller = canceller or Canceller()
    canceller.attach(conn)
    key = lock.lock_key(opts.schema, opts.table)

    def stop() -> Cancelled | None:  # a cancel while waiting for another migrator's lock ends the wait
        return (
            Cancelled("cancelled while waiting for the migration lock; nothing applied")
            if canceller.requested
            else None
        )

    try:
        if folder.layout == Layout.V1:  # before any statement: non-commuting branches change nothing
            from gtsd_tui.core.drizzle_v1.v1_check import refuse_conflicts

            refuse_conflicts(folder)
        _session_settings(conn, opts)
        if not opts.xact_lock:
            lock.acquire(conn, key, timeout=opts.wait_timeout, on_wait=events.lock_wait, stop=stop)
        _ensure_table(conn, opts, v1=folder.layout == Layout.V1)
        if folder.layout == Layout.V1:

            def in_tx() -> None:  # PgBouncer mode: the lock inside the upgrade's own transaction
                lock.acquire(conn, key, timeout=opts.wait_timeout, on_wait=events.lock_wait, xact=True, stop=stop)

            upgrade_if_needed(conn, folder, opts.schema, opts.table, events.note, in_tx if opts.xact_lock else None)
        plan = make_plan(read_rows(conn, opts.schema, opts.table))
        events.plan_ready(plan)
        result = RunResult(plan)
        try:
            if plan.tx_mode == ALL and plan.steps:
                _run_all(conn, folder, plan, opts, events, result)
            else:
                _run_steps(conn, folder, plan, opts, events, result, canceller, key)
        except MigrationFailed as exc:
            exc.undone = _told_undone(folder, opts, events, result)
            raise
        _told_undone(folder, opts, events, result)
        return result
    except psycopg.Error as exc:  # the connection broke (server killed, network gone): a database error
        if canceller.requested and isinstance(exc, QueryCanceled):  # the cancel met a lock poll, not a migration
            raise Cancelled("cancelled while waiting for the migration lock") from None
        raise DatabaseError(f"connection to the database lost: {first_line(url, exc)}") from None
    finally:
        idle = not conn.closed and conn.pgconn.transaction_status == pq.TransactionStatus.IDLE
        if opts.observer is not None and idle and not canceller.requested:
            opts.observer.finished(conn)
        try:
            if not opts.xact_lock and not conn.closed:
                lock.release(conn, key)
        except psycopg.Error:
            pass
        conn.close()


def _run_steps(
    conn: psycopg.Connection[Any],
    folder: Folder,
    plan: ApplyPlan,
    opts: RunOptions,
    events: Events,
    result: RunResult,
    canceller: Canceller,
    key: int,
) -> None:
    """Each migration in its own transaction (or in autocommit), stopping at a cancel between two."""
    for i, step in enumerate(plan.steps):
        if canceller.requested:
            raise Cancelled(
                f"cancelled before {step.migration.tag}; applied so far: "
                + (", ".join(t for t, _ in result.applied) or "none")
            )
        events.step_started(step, i, len(plan.steps))
        t0 = time.perf_counter()
        if opts.xact_lock and not step.transactional:
            events.note(f"{step.migration.tag}: runs in autocommit; no lock can cover it through the pooler")
        if step.transactional and not opts.xact_lock:
            with_retries(conn, step, opts, events, partial(_execute_in_transaction, conn, folder, step, opts))
        elif step.transactional:
            in_xact = partial(_in_xact_lock, conn, folder, key, step, opts, events)
            if not with_retries(conn, step, opts, events, in_xact):
                continue
        else:
            _execute(conn, folder, step, opts)
        took = time.perf_counter() - t0
        result.applied.append((step.migration.tag, took))
        events.step_done(step, took)


def open_session(url: str) -> psycopg.Connection[Any]:
    """The apply's session (autocommit, no prepared statements: PgBouncer transaction pooling)."""
    return connect(url, prepare_threshold=None)


def _in_xact_lock(
    conn: psycopg.Connection[Any], folder: Folder, key: int, step: Step, opts: RunOptions, events: Events
) -> bool:
    """One migration in its own transaction under a transaction-scoped lock; False if applied meanwhile."""
    try:
        with conn.transaction():
            if not _xact_lock_and_recheck(conn, key, step, opts, events):
                return False
            _execute(conn, folder, step, opts)
    except _Rejected:  # rolled back: nothing of it ran
        with conn.transaction():
            if not _xact_lock_and_recheck(conn, key, step, opts, events):
                return False
            _execute(conn, folder, step, _one_by_one(opts))
    return True


def _ensure_table(conn: psycopg.Connection[Any], opts: RunOptions, *, v1: bool) -> None:
    """drizzle-orm's schema and table; a concurrent creator (no session lock via a pooler) is retried."""
    for attempt in range(3):
        try:
            ensure_table(conn, opts.schema, opts.table, v1=v1)
            return
        except (UniqueViolation, DuplicateTable, DuplicateSchema, DuplicateObject):  # 42710: its row type exists
            if attempt == 2:
                raise
        except psycopg.Error as exc:
            raise DatabaseError(f"creating {opts.schema}.{opts.table}: {str(exc).strip().splitlines()[0]}") from None


def _xact_lock_and_recheck(
    conn: psycopg.Connection[Any], key: int, step: Step, opts: RunOptions, events: Events
) -> bool:
    """PgBouncer mode: lock inside this migration's transaction, then make sure nobody applied it."""
    lock.acquire(conn, key, timeout=opts.wait_timeout, on_wait=events.lock_wait, xact=True)
    h, when = step.row
    ident = sql.SQL("{}.{}").format(sql.Identifier(opts.schema), sql.Identifier(opts.table))
    if step.name is not None:  # drizzle v1 decides by name alone
        done = conn.execute(sql.SQL("SELECT 1 FROM {} WHERE name = %s").format(ident), (step.name,))
    else:
        done = conn.execute(sql.SQL("SELECT 1 FROM {} WHERE hash = %s AND created_at = %s").format(ident), (h, when))
    if done.fetchone():
        events.note(f"{step.migration.tag}: applied meanwhile by another migrator; skipped")
        return False
    return True


def _run_all(
    conn: psycopg.Connection[Any], folder: Folder, plan: ApplyPlan, opts: RunOptions, events: Events, result: RunResult
) -> None:
    try:
        ran, committed, failed = _run_all_once(conn, folder, plan, opts, events)
    except _Rejected:  # all rolled back: the same transaction again, statement by statement
        opts.undoers.clear()
        ran, committed, failed = _run_all_once(conn, folder, plan, _one_by_one(opts), events)
    tags = [s.migration.tag for s, _ in ran]
    if opts.undoers:  # a migration's own ROLLBACK ran inside the one transaction: ask the table what stayed
        held = _held(conn, folder, opts, [s for s, _ in ran], result)
        kept = [(s, t) for s, t in ran if s.migration.tag in held]
        result.undone = _undo_lines(folder, opts, tags, [t for t, _ in result.rolled_back], "the transaction")
    else:
        kept = ran[:committed] if failed else ran
    for step, took in kept:
        result.applied.append((step.migration.tag, took))
        events.step_done(step, took)
    if failed is not None:
        failed.rolled_back = [t for t in tags if t not in {s.migration.tag for s, _ in kept}]
        raise failed


def _run_all_once(
    conn: psycopg.Connection[Any], folder: Folder, plan: ApplyPlan, opts: RunOptions, events: Events
) -> tuple[list[tuple[Step, float]], int, MigrationFailed | None]:
    """The one transaction. A migration that ends it (its own ``COMMIT``) leaves the session outside
    any transaction: what ran up to there is committed, and every later chunk runs and commits on its
    own, as under drizzle-orm, so from there on nothing is batched (one query would share one implicit
    transaction) and nothing is rolled back on an error. Returns the migrations that ran, how many of
    them a COMMIT of their own made durable, and the failure that stopped the run (rolled back)."""
    done: list[tuple[Step, float]] = []
    committed = 0  # the first migrations of ``done``, made durable by a migration's own COMMIT
    try:
        with conn.transaction():
            for i, step in enumerate(plan.steps):
                if opts.xact_lock and not _xact_lock_and_recheck(
                    conn, lock.lock_key(opts.schema, opts.table), step, opts, events
                ):
                    continue
                events.step_started(step, i, len(plan.steps))
                t0 = time.perf_counter()
                try:
                    _execute(conn, folder, step, opts, goes_on=True)
                finally:  # outside any transaction (its own COMMIT ran, even before an error): all durable
                    if conn.pgconn.transaction_status == pq.TransactionStatus.IDLE:
                        committed, opts = len(done) + 1, _one_by_one(opts)
                done.append((step, time.perf_counter() - t0))
    except MigrationFailed as exc:
        return done, min(committed, len(done)), exc  # the failed migration is not in ``done``
    return done, committed, None


def _held(
    conn: psycopg.Connection[Any], folder: Folder, opts: RunOptions, ran: list[Step], result: RunResult
) -> set[str]:
    """After a migration's own ROLLBACK: the tags of ``ran`` whose tracking rows the table holds now
    (read once the run's transaction is over); the others go to ``result.rolled_back`` with the state
    ``status`` gives them now."""
    from gtsd_tui.core.migrations.status import compute_status

    rows = read_rows(conn, opts.schema, opts.table)
    names = {r.name for r in rows if r.name is not None}
    pairs = {(r.hash, r.created_at) for r in rows}
    held = {s.migration.tag for s in ran if (s.name in names if s.name is not None else s.row in pairs)}
    states = {st.migration.tag: str(st.state) for st in compute_status(folder, rows).items}
    result.rolled_back = [(t, states.get(t, "pending")) for t in (s.migration.tag for s in ran) if t not in held]
    return held


def _told_undone(folder: Folder, opts: RunOptions, events: Events, result: RunResult) -> list[str]:
    """A migration's own ROLLBACK: a note per ROLLBACK, where it was and what it took with it."""
    if opts.undoers and not result.undone:  # per file: nothing but its own migration's transaction
        result.undone = _undo_lines(folder, opts, [], [], "this migration's transaction")
    for line in result.undone:
        events.note(line)
    return result.undone


def _undo_lines(folder: Folder, opts: RunOptions, ran: list[str], lost: list[str], where: str) -> list[str]:
    """One line per migration's own ROLLBACK that ran inside a transaction: its place, and the
    migrations of ``lost`` (in run order ``ran``) it took with it (each goes to the first after it)."""
    from gtsd_tui.core.migrations.hashing import line_col

    position = {t: i for i, t in enumerate(ran)}
    out, before = [], -1
    for step, stmt in opts.undoers:
        here = position.get(step.migration.tag, len(ran))
        undid = [t for t in lost if before <= position[t] < here]
        before = here
        line, col = line_col(step.text, stmt.offset)
        word = " ".join(stmt.text.split()[:1]).upper().rstrip(";") or "ROLLBACK"
        which = "its" if len(undid) == 1 else "their"
        what = f": {', '.join(undid)} and {which} tracking row" + ("" if len(undid) == 1 else "s") if undid else ""
        out.append(
            f"{folder.path / (step.migration.file or '')}:{line}:{col}: {word} undid what ran before it in "
            f"{where}{what}"
        )
    return out


def _exec_simple(conn: psycopg.Connection[Any], text: str) -> ServerError | None:
    """One chunk through libpq's PQexec: the simple query protocol, as drizzle-orm sends it, with
    none of the per-call cursor machinery (this is the hot loop of an apply)."""
    return error_of(conn.pgconn.exec_(text.encode("utf-8")))


def _exec_row(conn: psycopg.Connection[Any], text: str) -> tuple[ServerError | None, list[str | None] | None]:
    """Like :func:`_exec_simple`, also returning the first row of the last statement's result (as text)."""
    res = conn.pgconn.exec_(text.encode("utf-8"))
    err = error_of(res)
    if err is not None or res.ntuples < 1:
        return err, None
    values = [res.get_value(0, i) for i in range(res.nfields)]
    return None, [v.decode("utf-8") if v is not None else None for v in values]


def _execute_in_transaction(conn: psycopg.Connection[Any], folder: Folder, step: Step, opts: RunOptions) -> None:
    """One migration and its row in one transaction. Batched (see ``db/batch.py``): BEGIN, the chunks,
    the insert and COMMIT in one round trip; else in N + 2: BEGIN, each chunk, then the insert and
    COMMIT sent together (if the insert fails, COMMIT is never reached and we roll back)."""
    h, when = step.row
    insert = insert_row_literal(opts.schema, opts.table, h, when, step.name).as_string(conn)
    if _batched(step, opts) or _observed(step, opts):
        try:
            if _batched(step, opts):
                _batch(conn, folder, step, head="BEGIN", tail=insert + "; COMMIT")
                return
            if _observed_batch(conn, folder, step, opts, head="BEGIN", tail=insert + "; COMMIT"):
                return
        except _Rejected:  # nothing ran (not even BEGIN): one statement at a time tells which fails
            _rollback_quietly(conn)
        except BaseException:
            _rollback_quietly(conn)
            raise
    _exec_ok(conn, "BEGIN")
    try:
        _chunks(conn, folder, step, opts)
        _exec_ok(conn, insert + "; COMMIT")
    except BaseException:
        _rollback_quietly(conn)  # on a dead connection the ROLLBACK fails too: the first error is the one to tell
        raise


def _batched(step: Step, opts: RunOptions) -> bool:
    """A transactional migration outside a rehearsal, each chunk lexically complete, none ending the
    transaction: one round trip."""
    return (
        opts.batch
        and step.transactional
        and opts.observer is None
        and batchable(step.chunks)
        and not step.ends_own_transaction
    )


def _observed(step: Step, opts: RunOptions) -> bool:
    """A rehearsal's transactional migration in its own transaction: one round trip, its statements
    each followed by the observer's probe (:func:`_observed_batch`); not one that ends its transaction."""
    return opts.batch and step.transactional and opts.observer is not None and not step.ends_own_transaction


def _observed_batch(
    conn: psycopg.Connection[Any], folder: Folder, step: Step, opts: RunOptions, *, head: str, tail: str
) -> bool:
    """BEGIN, the observer's start, each statement and its probe, the row and COMMIT as one query (see
    ``db/batch.py``); the observer gets the probes' rows once it is answered. False (nothing sent) when
    a statement is not lexically complete or the observer declines: the caller goes one by one.

    Only for a migration in its own transaction: under ``--tx all`` a batch the server rejects (a syntax
    error anywhere in it) would abort the one transaction, and running everything again one by one
    would record the earlier migrations twice."""
    observer = opts.observer
    assert observer is not None
    stmts = [s for c in step.chunks for s in statement_chunks(c)]
    if not batchable(stmts):
        return False
    probes = observer.batch_probes(conn, step)
    if probes is None:
        return False
    start, probe = (Chunk(-1, q, 0, 0) for q in probes)
    chunks = [start]
    for stmt in stmts:
        chunks += (stmt, probe)
    rows: dict[int, list[str | None]] = {}
    t0 = time.perf_counter()
    failed = run_batch(conn, chunks, head=head, tail=tail, rows=rows)
    took = time.perf_counter() - t0
    probed: list[list[str | None]] = []  # the answered statements: each one's probe is chunk 2k + 2
    while 2 * len(probed) + 2 in rows:
        probed.append(rows[2 * len(probed) + 2])
    if failed is None:
        observer.after_batch(conn, step, stmts, probed, None, took)
        return True
    index, err, _ = failed
    if index == REJECTED:
        raise _Rejected
    if 1 <= index < len(chunks):  # statement k is chunk 2k + 1, its probe 2k + 2: a probe's error is its statement's
        k = (index - 1) // 2
        err = err if index % 2 else replace(err, statement_position=None)
        observer.after_batch(conn, step, stmts, probed[:k], err, took)
        _fail(folder, step, stmts[k], err)
    if index == len(chunks):  # the row or COMMIT: every statement was answered
        observer.after_batch(conn, step, stmts, probed, None, took)
    query = head if index < 0 else (start.text if index == 0 else tail)
    raise DatabaseError(f"{query.split(';')[0][:60]}: {err.sqlstate}: {err.message}")


def _batch(conn: psycopg.Connection[Any], folder: Folder, step: Step, *, head: str = "", tail: str = "") -> None:
    failed = run_batch(conn, step.chunks, head=head, tail=tail)
    if failed is None:
        return
    index, err, done = failed
    if index == REJECTED:
        raise _Rejected
    if 0 <= index < len(step.chunks):
        _fail(folder, step, *_failed_statement(step.chunks[index], done, err))
    query = head if index < 0 else tail
    raise DatabaseError(f"{query.split(';')[0][:60]}: {err.sqlstate}: {err.message}")


def _failed_statement(chunk: Chunk, done: int, err: ServerError) -> tuple[Chunk, ServerError]:
    """The statement of a chunk of several that failed: the one after the ``done`` that succeeded (the
    batch counted their results), its error position made relative to it. Parsed only here, on the
    error path; the chunk itself when it is one statement or the count and the position disagree."""
    if results(chunk.text) == 1:
        return chunk, err
    parts = statement_chunks(chunk)
    if len(parts) <= 1 or done >= len(parts):
        return chunk, err
    stmt = parts[done]
    pos = err.statement_position
    if pos is not None:
        pos -= stmt.offset - chunk.offset
        if not 1 <= pos <= len(stmt.text) + 1:
            return chunk, err
    return stmt, replace(err, statement_position=pos)


def _rollback_quietly(conn: psycopg.Connection[Any]) -> None:
    status = conn.pgconn.transaction_status
    if status in (pq.TransactionStatus.INTRANS, pq.TransactionStatus.INERROR):
        try:
            conn.pgconn.exec_(b"ROLLBACK")
        except psycopg.Error:
            pass


def _exec_ok(conn: psycopg.Connection[Any], query: str) -> None:
    err = _exec_simple(conn, query)
    if err is not None:
        raise DatabaseError(f"{query.split(';')[0][:60]}: {err.sqlstate}: {err.message}")


def _chunks(conn: psycopg.Connection[Any], folder: Folder, step: Step, opts: RunOptions) -> None:
    observer = opts.observer
    own = step.transactional and step.ends_own_transaction  # only such a migration can undo what ran before it
    for chunk in step.chunks:
        if not step.transactional and not resume_concurrent_index(conn, chunk):
            continue  # built by an earlier, interrupted run of this migration
        for stmt in statement_chunks(chunk) if observer else [chunk]:
            if own and conn.pgconn.transaction_status == pq.TransactionStatus.INTRANS:
                _note_undoer(step, stmt, opts)
            _statement(conn, folder, step, stmt, observer)


def _note_undoer(step: Step, chunk: Chunk, opts: RunOptions) -> None:
    """Before ``chunk`` runs inside a transaction: its ROLLBACK (ABORT, PREPARE TRANSACTION), if it has
    one, is recorded with its place in the file; the run then reads back what the table holds."""
    at = undoing_statement(chunk.text) if ends_transaction(chunk.text) else None
    if at is not None:
        line = chunk.line + chunk.text.count("\n", 0, at)
        opts.undoers.append((step, Chunk(chunk.index, chunk.text[at:], chunk.offset + at, line)))


def _statement(
    conn: psycopg.Connection[Any], folder: Folder, step: Step, chunk: Chunk, observer: StatementObserver | None
) -> None:
    if observer is None:
        err = _exec_simple(conn, chunk.text)
    else:
        probe = observer.probe(conn, step, chunk) if step.transactional else None
        t0 = time.perf_counter()
        if probe is None:
            err, row = _exec_simple(conn, chunk.text), None
        else:  # a line break first: the statement may end in a -- comment
            err, row = _exec_row(conn, f"{chunk.text}\n;\n{probe}")
        observer.after(conn, step, chunk, time.perf_counter() - t0, err, row)
    if err is not None:
        _fail(folder, step, chunk, err)


def _fail(folder: Folder, step: Step, chunk: Chunk, err: ServerError) -> NoReturn:
    raise MigrationFailed(
        step=step,
        chunk=chunk,
        error=err,
        location=locate(step.text, chunk, err) or statement_start(step.text, chunk),
        path=str(folder.path / (step.migration.file or "")),
    ) from None


def _execute(
    conn: psycopg.Connection[Any], folder: Folder, step: Step, opts: RunOptions, *, goes_on: bool = False
) -> None:
    """Every chunk verbatim (simple protocol, no parameters), then drizzle's row (inside the caller's transaction).
    ``goes_on`` (``--tx all``): the transaction goes on with the next migration; an observer's
    ``row_probe`` follows the row in its round trip."""
    h, when = step.row
    if _batched(step, opts):
        _batch(conn, folder, step, tail=insert_row_literal(opts.schema, opts.table, h, when, step.name).as_string(conn))
        return
    _chunks(conn, folder, step, opts)
    observer = opts.observer
    probe = observer.row_probe(conn, step) if goes_on and observer is not None else None
    if observer is None or probe is None:
        params = (h, when, step.name) if step.name else (h, when)
        conn.execute(insert_row_sql(opts.schema, opts.table, step.name), params)
        return
    insert = insert_row_literal(opts.schema, opts.table, h, when, step.name).as_string(conn)
    err, row = _exec_row(conn, f"{insert};\n{probe}")
    if err is not None:
        raise DatabaseError(f"{insert[:60]}: {err.sqlstate}: {err.message}")
    observer.after_row(conn, step, row)
