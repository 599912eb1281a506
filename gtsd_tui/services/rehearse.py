"""Rehearse pending migrations on a throwaway copy of the target, measured statement by statement.

The copy is made by :mod:`gtsd_tui.db.clone`; the migrations run through the one apply use case
(:func:`gtsd_tui.services.apply.apply`) with an observer, so the plan, the transactions and the
non-transactional handling are exactly ``migrate``'s. The target itself is only read: for the
sessions that would block the locks the rehearsal observed.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from gtsd_tui.core.migrations.modes import PgBouncerMode
from gtsd_tui.services.apply import ApplyFailure, ApplyRequest, Note, Prepared, apply, failure_of, ignore
from gtsd_tui.services.project import Project
from gtsd_tui.services.rehearse_copy import (
    close_quietly,
    copy_then_read,
    open_admin,
    open_run_session,
    open_run_session_on,
    read_schema_after,
    take_run_session,
)

if TYPE_CHECKING:
    from gtsd_tui.core.migrations.folder import Folder
    from gtsd_tui.core.migrations.hashing import Chunk
    from gtsd_tui.core.migrations.plan import ApplyPlan, Step
    from gtsd_tui.core.sql.errorpos import ServerError
    from gtsd_tui.core.sql.schema_diff import Change
    from gtsd_tui.db.catalog import Catalog
    from gtsd_tui.db.clone import Clone
    from gtsd_tui.db.early_copy import EarlyCopy
    from gtsd_tui.db.probe import Session
    from gtsd_tui.db.runner import Canceller


@dataclass
class StatementRecord:
    tag: str
    file: str
    line: int
    column: int
    text: str
    transactional: bool
    seconds: float = 0.0
    locks: list[tuple[str, str]] = field(default_factory=list)  # (mode, relation), strongest first
    observed: bool = True  # False: a non-transactional statement's documented lock (released before we look)
    rewrites: list[str] = field(default_factory=list)  # relations given a new relfilenode
    already_held: list[tuple[str, str]] = field(default_factory=list)  # locks of earlier statements on its tables
    error: str | None = None  # file:line:col: SQLSTATE: message
    blockers: list[tuple[str, Session]] = field(default_factory=list)  # (relation, session) on the target
    would_block: int = 0  # other sessions on the target that would queue behind an ACCESS EXCLUSIVE

    @property
    def rewrite(self) -> bool:
        return bool(self.rewrites)

    @property
    def strongest(self) -> str | None:
        return self.locks[0][0] if self.locks else None


@dataclass(frozen=True)
class RehearsalStarted:
    total: int  # statements to run
    method: str
    notice: str | None


@dataclass(frozen=True)
class StatementRehearsed:
    done: int
    total: int
    record: StatementRecord


RehearseEvent = RehearsalStarted | StatementRehearsed | Note


@dataclass
class Rehearsal:
    method: str
    notice: str | None
    records: list[StatementRecord]
    changes: list[Change]
    applied: list[str]
    failure: ApplyFailure | None
    # migrations a later one's own ROLLBACK took back on the copy (tag, state), and one line per ROLLBACK
    rolled_back: list[tuple[str, str]] = field(default_factory=list)
    undone: list[str] = field(default_factory=list)
    dropping: Future[None] | None = field(default=None, repr=False, compare=False)  # drop_later: the copy's drop

    @property
    def ok(self) -> bool:
        return self.failure is None

    def wait_dropped(self) -> None:
        """Wait for the copy's drop when ``rehearse(drop_later=True)`` left it going (raises what the drop
        raised, as rehearse did). A Ctrl-C meanwhile is raised once the copy is gone."""
        dropping, self.dropping = self.dropping, None
        if dropping is None:
            return
        interrupted = False
        while True:
            try:
                dropping.result()
                break
            except KeyboardInterrupt:
                interrupted = True
        if interrupted:
            raise KeyboardInterrupt


@dataclass(frozen=True)
class StatementFacts:
    """What the text alone says about a statement: known before the copy exists (worked out while the
    server makes it), so the per-statement work during the run is the probe's row only."""

    path: str
    line: int
    column: int
    text: str  # without leading comments and the final ``;``
    named: tuple[str, ...]  # the relations it names
    documented: str | None  # non-transactional: the lock mode PostgreSQL documents for it


FactsKey = tuple[str, bool, int, str]  # (tag, transactional, offset in the file, text)


def statement_facts(folder: Folder, step: Step, stmt: Chunk, *, parsed: bool = True) -> StatementFacts:
    """``parsed=False``: where it is and its text only, without the parser (named and documented empty)."""
    from gtsd_tui.core.migrations.hashing import line_col
    from gtsd_tui.core.sql.stmt_split import display_text

    start, text = display_text(stmt.text)
    line, col = line_col(step.text, stmt.offset + start)
    path = str(folder.path / (step.migration.file or ""))
    if not parsed:
        return StatementFacts(path, line, col, text, (), None)
    from gtsd_tui.core.sql.locks import DOCUMENTED
    from gtsd_tui.core.sql.sqlinfo import SyntaxProblem, non_transactional_reason, parse
    from gtsd_tui.core.sql.stmt_split import relations

    documented = None
    if not step.transactional:
        tree = parse(stmt.text)
        reason = non_transactional_reason(tree[0].node) if not isinstance(tree, SyntaxProblem) else None
        documented = DOCUMENTED.get(reason or "")
    return StatementFacts(path, line, col, text, tuple(relations(stmt.text)), documented)


def all_facts(folder: Folder, steps: list[Step]) -> dict[FactsKey, StatementFacts]:
    """:func:`statement_facts` of every statement the plan runs, split as the runner splits them."""
    from gtsd_tui.core.sql.stmt_split import statement_chunks

    return {
        (s.migration.tag, s.transactional, st.offset, st.text): statement_facts(folder, s, st)
        for s in steps
        for c in s.chunks
        for st in statement_chunks(c)
    }


def _held_on(held: frozenset[tuple[str, str]], named: tuple[str, ...]) -> list[tuple[str, str]]:
    """The locks in ``held`` on a relation the statement names (``schema.name`` or ``name``)."""
    from gtsd_tui.core.sql.locks import strength

    names = set(named)
    on = [lk for lk in held if lk[1] in names or lk[1].split(".", 1)[-1] in names]
    return sorted(on, key=lambda lk: (-strength(lk[0]), lk[1]))


class Recorder:
    """The runner's statement observer: a probe after each statement on the copy, in the same round
    trip (a transactional migration goes whole, BEGIN to COMMIT, its probes between its statements).

    ``facts``: every statement's :func:`statement_facts`, or a future of them being worked out beside the
    run (the parser's import and parse cost as much as a tenth of a rehearsal): until it is there, a
    record gets its place and text without the parser, and its ``already_held`` once the run is over
    (:meth:`resolve`); a non-transactional statement waits for it (its lock is the documented one)."""

    def __init__(
        self,
        folder: Folder,
        total: int,
        listen: Callable[[Any], None],
        facts: dict[FactsKey, StatementFacts] | Future[dict[FactsKey, StatementFacts]] | None = None,
    ) -> None:
        self.folder, self.total, self.listen = folder, total, listen
        self._facts = facts if facts is not None else {}
        self._unresolved: list[tuple[StatementRecord, frozenset[tuple[str, str]], FactsKey, Step, Chunk]] = []
        self.records: list[StatementRecord] = []
        self._mark: int | None = None  # highest oid / relfilenode before the statement
        self._held: frozenset[tuple[str, str]] = frozenset()  # locks the migration's transaction holds
        self._carried: frozenset[tuple[str, str]] | None = None  # --tx all: held after the last row (after_row)
        self._step: int | None = None
        self._conn: Any = None  # the connection the probe is prepared on
        self.skip_table: str | None = None  # set: the schema afterwards is read on the run's own connection
        self.schema_after: Catalog | None = None
        self.after_error: Exception | None = None

    def _begin(self, conn: Any, step: Step) -> None:
        from gtsd_tui.db.probe import prepare_probe

        if self._conn is not conn:  # the probe is prepared per session; the mark is taken once
            mark = prepare_probe(conn)
            self._mark, self._conn = mark if self._mark is None else self._mark, conn
        if self._step != id(step):  # a new migration: what its first statement finds held is not its own
            from gtsd_tui.db.probe import held_at_start

            carried, self._carried, self._step = self._carried, None, id(step)
            self._held = carried if carried is not None else held_at_start(conn, self._mark or 0)

    def probe(self, conn: Any, step: Step, stmt: Chunk) -> str | None:
        from gtsd_tui.db.probe import probe_sql

        self._begin(conn, step)
        assert self._mark is not None
        return probe_sql(self._mark)

    def batch_probes(self, conn: Any, step: Step) -> tuple[str, str] | None:
        """A migration sent whole: the chain's start at our mark, and the probe after each statement."""
        from gtsd_tui.db.probe import chain_sql

        self._begin(conn, step)
        assert self._mark is not None
        return chain_sql(self._mark)

    def after_batch(
        self, conn: Any, step: Step, stmts: list[Chunk], rows: list[Any], error: ServerError | None, seconds: float
    ) -> None:
        """Each answered statement as :meth:`after` (its duration from its probe, on the server's clock);
        a failed one is charged with what is left of the round trip (the server does not say)."""
        spent = 0.0
        for stmt, row in zip(stmts, rows, strict=False):
            self.after(conn, step, stmt, 0.0, None, row, batched=True)
            spent += self.records[-1].seconds
        if error is not None:
            self.after(conn, step, stmts[len(rows)], max(0.0, seconds - spent), error, None, batched=True)

    def row_probe(self, conn: Any, step: Step) -> str | None:
        """``--tx all``: the probe after a migration's tracking row, for what the next migration starts
        with held (read in the row's round trip, not in one of its own)."""
        from gtsd_tui.db.probe import probe_sql

        return probe_sql(self._mark) if self._conn is conn and self._mark is not None else None

    def after_row(self, conn: Any, step: Step, row: Any) -> None:
        from gtsd_tui.db.probe import in_transaction, parse_probe

        self._carried = parse_probe(row).held if row is not None and in_transaction(conn) else frozenset()

    def _facts_of(self, key: FactsKey, wait: bool) -> StatementFacts | None:
        facts = self._facts
        if isinstance(facts, Future):
            if (not wait and not facts.done()) or facts.exception() is not None:
                return None  # a failed parse is raised by resolve(), once the run is over
            facts = self._facts = facts.result()
        return facts.get(key)

    def after(
        self,
        conn: Any,
        step: Step,
        stmt: Chunk,
        seconds: float,
        error: ServerError | None,
        row: Any,
        batched: bool = False,
    ) -> None:
        """``batched``: answered as part of its migration's batch (:meth:`after_batch`), whose ``COMMIT``
        the connection is already past."""
        from gtsd_tui.core.sql.locks import strength
        from gtsd_tui.db.probe import in_transaction, parse_probe, probe, qualified

        self._begin(conn, step)
        key = (step.migration.tag, step.transactional, stmt.offset, stmt.text)
        known = self._facts_of(key, wait=not step.transactional)
        f = known or statement_facts(self.folder, step, stmt, parsed=not step.transactional)
        rec = StatementRecord(step.migration.tag, f.path, f.line, f.column, f.text, step.transactional, seconds)
        if error is not None:
            from gtsd_tui.core.sql.errorpos import locate

            loc = locate(step.text, stmt, error)
            where = f"{f.path}:{loc.line}:{loc.column}" if loc else f"{f.path}:{f.line}:{f.column}"
            rec.error = f"{where}: {error.sqlstate + ': ' if error.sqlstate else ''}{error.message}"
        else:
            assert self._mark is not None
            found = parse_probe(row) if row is not None else probe(conn, self._mark)
            rec.seconds = found.seconds if found.seconds is not None else seconds
            rec.locks = sorted(found.locks - self._held, key=lambda lk: (-strength(lk[0]), lk[1]))
            if known is not None:
                rec.already_held = _held_on(self._held, known.named)
            elif self._held:
                self._unresolved.append((rec, self._held, key, step, stmt))
            rec.rewrites = found.rewritten
            # Held on for the next statement only inside a transaction: a migration's own COMMIT ends it
            # (under --tx all, the one transaction), and what follows runs in autocommit, the statement
            # and its probe in one implicit transaction whose locks are gone once it is answered.
            kept = step.transactional and (batched or in_transaction(conn))
            self._held, self._mark = found.held if kept else frozenset(), found.mark
        if f.documented:
            rec.locks = [(f.documented, qualified(conn, rel)) for rel in f.named[:1]]
            rec.observed = False
        self.records.append(rec)
        self.listen(StatementRehearsed(len(self.records), self.total, rec))

    def resolve(self) -> None:
        """``already_held`` of the records made before the parse was there (it raises if the parse failed)."""
        if isinstance(self._facts, Future):
            self._facts = self._facts.result()
        for rec, held, key, step, stmt in self._unresolved:
            f = self._facts_of(key, wait=True) or statement_facts(self.folder, step, stmt)
            rec.already_held = _held_on(held, f.named)
        self._unresolved = []

    def finished(self, conn: Any) -> None:
        """The copy's schema afterwards, on the run's connection (no new session, its catalog cache warm)."""
        if self.skip_table is None:
            return
        from gtsd_tui.db.catalog import read_catalog_unless_broken

        try:
            self.schema_after = read_catalog_unless_broken(conn, skip_table=self.skip_table)
        except Exception as exc:  # told by rehearse once the run is over (the runner must not raise here)
            self.after_error = exc


def rehearse(
    project: Project,
    request: ApplyRequest,
    listen: Callable[[Any], None] = ignore,
    canceller: Canceller | None = None,
    early: EarlyCopy | None = None,
    beside: Callable[[ApplyPlan], object] | None = None,
    drop_later: bool = False,
) -> Rehearsal:
    """Copy the target, apply the pending migrations on the copy, measure, drop the copy (always).

    ``early``: the copy a command asked for at its start (:func:`~gtsd_tui.services.rehearse_copy.start_early_copy`),
    used when it was made; the caller drops it otherwise (``finish_early_copy``).
    ``beside``: read-only work on the target (the command's data preflight), run once the copy is made
    (a template copy needs the target to itself) while the migrations run on the copy, and waited for
    before the target's sessions are read for blockers (its own locks would show there). It is given
    the plan the rehearsal made (the same rows of the target: no second read). Its result and errors
    are its own to keep; it is not called when no copy is made.
    ``drop_later``: the report is returned while the copy's ``DROP DATABASE`` still runs (in a thread of
    its own): the caller prints it, then must call :meth:`Rehearsal.wait_dropped`. On every other way out
    (an error, Ctrl-C) the copy is gone when this raises, as without it."""
    import threading

    from gtsd_tui.services.apply import prepare_plan

    url = project.resolve_url()
    s = project.settings
    skip = f"{s.schema}.{s.table}"
    with ThreadPoolExecutor(6, thread_name_prefix="gtsd-rehearse") as pool:
        opening = pool.submit(open_admin, url)  # the session to copy on, opened while the plan is made
        # an early copy still being made: the plan's read of the target waits for it, the parser loads
        # meanwhile (else it loads beside the run: here it would only slow the plan down)
        loading = pool.submit(_load_the_run) if early is not None and not early.done() else None
        # the run's session, opened on an early copy once the server has made it, beside the plan
        running = pool.submit(open_run_session, url, early) if early is not None else None
        try:  # refusals (out-of-order, mixed CONCURRENTLY) before any copy
            prepared = prepare_plan(project, request)
        except BaseException:
            close_quietly(opening, running)
            raise
        folder, plan = prepared.folder, prepared.plan  # read once: the run on the copy plans with them too
        if not plan.steps:  # nothing pending: no copy to make
            close_quietly(opening, running)
            return Rehearsal("none", None, [], [], [], None)
        # The server copies the database while we parse (pglast's import and every statement's facts cost
        # about as much client time as the copy costs the server); without an early copy the parse starts
        # once the copy has been asked for, so it does not hold up the requests before it. The copy's
        # schema before is read by the same thread once the copy is made: for a template copy on the
        # target itself, while the migrations already run on the copy (see copy_then_read).
        asked = threading.Event()
        made: Future[Clone] = Future()
        before = pool.submit(copy_then_read, project, url, skip, asked, made, opening, early)
        asked.wait()
        if early is None or not early.taken:  # the rehearsal's own copy: the run's session opened once it is made
            close_quietly(running)  # an early copy not made, or not of this target: it opened none
            running = pool.submit(open_run_session_on, made)
        # the statements are parsed beside the copy and, if it is made first, beside the run
        parsing = pool.submit(_parse, loading, folder, plan.steps)
        try:
            clone = made.result()  # a failed copy raises here, nothing left behind
        except BaseException:
            close_quietly(running)
            raise
        session = take_run_session(running, clone)
        work = pool.submit(beside, plan) if beside is not None else None
        try:
            return _run_on(
                project,
                request,
                listen,
                canceller,
                pool,
                folder,
                (clone, session),
                before,
                (prepared, parsing),
                skip,
                work,
                drop_later,
            )
        finally:
            if work is not None:
                work.exception()  # waited for: nothing of ours runs on the target once rehearse returns


def _parse(loading: Future[None] | None, folder: Folder, steps: list[Step]) -> dict[FactsKey, StatementFacts]:
    loading.result() if loading is not None else _load_the_run()
    return all_facts(folder, steps)


def _load_the_run() -> None:
    """Import what the run needs (the parser first) while the server still copies, not after it."""
    from gtsd_tui.core.sql.pglast_load import ensure_pglast

    ensure_pglast()
    import gtsd_tui.core.sql.schema_diff
    import gtsd_tui.core.sql.stmt_split
    import gtsd_tui.db.probe
    import gtsd_tui.db.runner  # noqa: F401


def _run_on(
    project: Project,
    request: ApplyRequest,
    listen: Callable[[Any], None],
    canceller: Canceller | None,
    pool: ThreadPoolExecutor,
    folder: Folder,
    copy: tuple[Clone, Any],
    before: Future[Catalog],
    parsing: tuple[Prepared, Future[dict[FactsKey, StatementFacts]]],
    skip: str,
    beside: Future[object] | None = None,
    drop_later: bool = False,
) -> Rehearsal:
    """Apply on the copy (``copy``: the copy, and the session opened on it beforehand or None), then drop
    it while the live target is read for blockers and the schema diff is made (the copy is gone when
    this returns or raises; with ``drop_later``, when it returns, the drop may still run: the
    returned Rehearsal's ``dropping``)."""
    from gtsd_tui.core.sql.schema_diff import diff
    from gtsd_tui.core.sql.stmt_split import statement_chunks
    from gtsd_tui.db.clone import drop_clone
    from gtsd_tui.db.connect import connect

    clone, session = copy
    dropping: Future[None] | None = None
    handed_over = False
    try:
        prepared, facts = parsing
        steps = prepared.plan.steps
        total = sum(len(statement_chunks(c)) for s in steps for c in s.chunks)
        listen(RehearsalStarted(total, clone.method, clone.notice))
        recorder = Recorder(folder, total, listen, facts)
        recorder.skip_table = skip
        on_clone = replace(request, pgbouncer=PgBouncerMode.NO, retries=0, wait=5.0)
        failure: ApplyFailure | None = None
        try:
            run_on = {"url": clone.url, "observer": recorder, "session": session, "prepared": prepared}
            result = apply(project, on_clone, ignore, canceller, **run_on)
            applied = result.applied_tags
            rolled_back, undone = list(result.rolled_back), list(result.undone)
        except Exception as exc:
            from gtsd_tui.db.runner import Cancelled

            if isinstance(exc, Cancelled):
                raise
            if canceller is not None and canceller.requested:  # the statement was cancelled on the server
                raise Cancelled("rehearsal cancelled; the copy was dropped, the target untouched") from None
            failure, applied = failure_of(exc), []
            rolled_back, undone = [], list(failure.undone)  # the failure names what it rolled back
        if recorder.after_error is not None:
            raise recorder.after_error
        recorder.resolve()
        # The copy dropped (its schema afterwards read first, unless the run's connection did) in a thread
        # of its own, while the live target is read for blockers and the diff is made: nothing of the
        # report waits for the drop.
        reading = pool.submit(read_schema_after, clone, skip, recorder.schema_after)
        dropping = _in_own_thread(lambda: _drop_after(clone, reading))
        if beside is not None:
            beside.exception()  # its sessions off the target before they are read
        with connect(project.resolve_url()) as target:
            add_blockers(target, recorder.records)
        changes = diff(before.result(), reading.result())
        result_of = Rehearsal(
            clone.method, clone.notice, recorder.records, changes, applied, failure, rolled_back, undone
        )
        if drop_later:
            result_of.dropping, handed_over = dropping, True
        else:
            dropping.result()  # the copy is gone when rehearse returns (its failure raised, as before)
        return result_of
    finally:
        if session is not None:  # closed by the run; not yet if something failed before it started
            session.close()
        if dropping is None:
            drop_clone(clone)
        elif not handed_over:
            dropping.exception()  # waited for: the copy is gone when rehearse raises


def _in_own_thread(work: Callable[[], None]) -> Future[None]:
    """``work`` in a thread of its own (not a daemon: the interpreter waits for it at exit), as a Future."""
    import threading

    done: Future[None] = Future()

    def run() -> None:
        try:
            work()
        except BaseException as exc:
            done.set_exception(exc)
        else:
            done.set_result(None)

    threading.Thread(target=run, name="gtsd-rehearse-drop").start()
    return done


def _drop_after(clone: Clone, reading: Future[Catalog]) -> None:
    """The copy dropped once its schema afterwards is read (or failed to be)."""
    from gtsd_tui.db.clone import drop_clone

    reading.exception()
    drop_clone(clone)


def add_blockers(target: Any, records: list[StatementRecord]) -> None:
    """For each lock a statement took, the sessions on the live target it would wait behind (read-only)."""
    from gtsd_tui.core.sql.locks import conflicts
    from gtsd_tui.db.data_probe import APP_NAME as PREFLIGHT_APP
    from gtsd_tui.db.libpq_lite import APP_NAME
    from gtsd_tui.db.probe import sessions_on_all

    seen = sessions_on_all(target, sorted({rel for rec in records for _, rel in rec.locks}))
    # not our own: the data preflight's session has ended on our side, but its backend may still be
    # leaving the server (counted, it made would_block one too many)
    clients = target.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
        "AND backend_type = 'client backend' AND application_name <> ALL(%s)",
        ([APP_NAME, PREFLIGHT_APP],),
    ).fetchall()
    for rec in records:
        for mode, rel in rec.locks:
            for sess in seen.get(rel, []):
                blocks = conflicts(sess.mode, mode) or sess.state.startswith("idle in transaction")
                if blocks and all(b.pid != sess.pid for _, b in rec.blockers):
                    rec.blockers.append((rel, sess))
            if mode == "AccessExclusiveLock":
                rec.would_block = max(rec.would_block, len({p for (p,) in clients} - {b.pid for _, b in rec.blockers}))
