"""The one apply use case: folder → plan → PgBouncer detection → lock options → run, with typed events.

``gtsd-tui migrate``, the console and ``reset`` all apply through :func:`apply`; they differ only in how
they present its events, its result and its failure. This is the only module that builds an apply plan
to run (``plan_only`` builds one to show, never to run).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from gtsd_tui.core.migrations.modes import PgBouncerMode, TxMode
from gtsd_tui.services.project import Project

if TYPE_CHECKING:  # psycopg and pglast load only when an apply runs
    from psycopg import Connection
    from psycopg.rows import TupleRow

    from gtsd_tui.core.migrations.folder import Folder
    from gtsd_tui.core.migrations.plan import ApplyPlan, Step
    from gtsd_tui.core.migrations.status import HistoryRow
    from gtsd_tui.db.lock import Holder
    from gtsd_tui.db.runner import Canceller as Canceller  # re-exported: commands name it through services
    from gtsd_tui.db.runner import StatementObserver
    from gtsd_tui.services.data_preflight import DataPreflight, PreflightDone

PER_FILE, ALL = TxMode.PER_FILE, TxMode.ALL


@dataclass(frozen=True)
class ApplyRequest:
    """What to apply and how; the defaults are the CLI's."""

    to_tag: str | None = None
    tx_mode: TxMode = PER_FILE
    allow_out_of_order: bool = False
    lock_timeout: float = 10.0  # PostgreSQL lock_timeout for the migration's statements (0 = none)
    statement_timeout: float = 600.0  # PostgreSQL statement_timeout (0 = none)
    wait: float = 60.0  # how long to wait for another migrator's lock
    pgbouncer: PgBouncerMode = PgBouncerMode.AUTO
    retries: int = 0  # a migration whose lock_timeout expired is rolled back and retried this many times
    allow_symlinks: bool = False  # run migration files that link to files outside the folder
    preflight_timeout: float | None = None  # run the data preflight first, each check under this timeout


# ---- typed progress events ---------------------------------------------------------------------


@dataclass(frozen=True)
class PoolerDetected:
    """Transaction pooling found: a transaction-scoped lock is taken in each migration instead."""

    message: str = (
        "PgBouncer transaction pooling detected: a session lock cannot hold; "
        "taking a transaction-scoped lock in each migration instead"
    )


@dataclass(frozen=True)
class LockWaiting:
    holders: tuple[str, ...]  # each holder described (pid, application, address, since)
    pids: tuple[int, ...]
    remaining: float

    @property
    def who(self) -> str:
        return "; ".join(self.holders) or "another session"


@dataclass(frozen=True)
class PlanReady:
    tags: tuple[str, ...]
    warnings: tuple[str, ...]
    tx_mode: TxMode


@dataclass(frozen=True)
class StepStarted:
    tag: str
    index: int
    total: int


@dataclass(frozen=True)
class StepDone:
    tag: str
    seconds: float
    transactional: bool


@dataclass(frozen=True)
class Note:
    message: str


ApplyEvent = PoolerDetected | LockWaiting | PlanReady | StepStarted | StepDone | Note
Listener = Callable[[ApplyEvent], None]


def ignore(event: ApplyEvent) -> None:
    """A listener that presents nothing."""


# ---- typed result and failure ------------------------------------------------------------------


@dataclass(frozen=True)
class ApplyResult:
    applied: tuple[tuple[str, float], ...]
    tx_mode: TxMode
    skipped: tuple[str, ...]
    warnings: tuple[str, ...]
    xact_lock: bool
    # migrations of this run whose tracking rows (and statements) a later migration's own ROLLBACK undid,
    # each with the state ``status`` gives it now (pending, or out-of-order: drizzle-orm 0.x skips it)
    rolled_back: tuple[tuple[str, str], ...] = ()
    undone: tuple[str, ...] = ()  # one line per such ROLLBACK: file:line:col and what it undid

    @property
    def applied_tags(self) -> list[str]:
        return [t for t, _ in self.applied]


@dataclass(frozen=True)
class ApplyFailure:
    """Why an apply stopped, with every detail the server gave (for MigrationFailed: CONTEXT too)."""

    message: str  # the one-line message (file:line:col: SQLSTATE: text)
    exit_code: int
    title: str = "Apply failed"
    tag: str | None = None
    file: str | None = None
    line: int | None = None
    column: int | None = None
    sqlstate: str | None = None
    server_message: str | None = None
    detail: str | None = None
    hint: str | None = None
    context: str | None = None
    excerpt: str | None = None
    rolled_back: tuple[str, ...] = ()
    undone: tuple[str, ...] = ()  # a migration's own ROLLBACK that ran first (file:line:col: what it undid)

    @property
    def where(self) -> str:
        if self.file and self.line is not None:
            return f"{self.file}:{self.line}:{self.column}"
        return self.file or ""

    def details(self) -> list[str]:
        """Lines under the one-line message, in the order ``migrate`` prints them."""
        more = (self.server_message or "").strip().splitlines()[1:]  # a driver's message of several lines
        out = [f"    {line.strip()}" for line in more if line.strip()]
        out += [self.excerpt] if self.excerpt else []
        out += [f"DETAIL: {self.detail}"] if self.detail else []
        out += [f"HINT: {self.hint}"] if self.hint else []
        out += [f"CONTEXT: {self.context}"] if self.context else []
        out += ["rolled back: " + ", ".join(self.rolled_back)] if self.rolled_back else []
        return out

    def as_json(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "sqlstate": self.sqlstate,
            "message": self.server_message,
            "detail": self.detail,
            "hint": self.hint,
            "context": self.context,
            "tag": self.tag,
            "rolled_back": list(self.rolled_back),
        }


def failure_of(exc: BaseException) -> ApplyFailure:
    """The typed failure for any exception an apply raised (MigrationFailed keeps all its fields)."""
    from gtsd_tui.db.runner import MigrationFailed
    from gtsd_tui.errors import GtsdError

    code = exc.exit_code if isinstance(exc, GtsdError) else 70
    if isinstance(exc, MigrationFailed):
        loc, err = exc.location, exc.error
        return ApplyFailure(
            message=str(exc),
            exit_code=code,
            title="Migration failed",
            tag=exc.step.migration.tag,
            file=exc.path,
            line=loc.line if loc else None,
            column=loc.column if loc else None,
            sqlstate=err.sqlstate,
            server_message=err.message,
            detail=err.detail,
            hint=err.hint,
            context=err.context,
            excerpt=loc.excerpt if loc else None,
            rolled_back=tuple(exc.rolled_back),
            undone=tuple(exc.undone),
        )
    text = str(exc).strip() or type(exc).__name__
    return ApplyFailure(message=text, exit_code=code, title="Cannot apply" if code == 2 else "Apply failed")


# ---- the use case ------------------------------------------------------------------------------


@dataclass
class _Relay:
    """The runner's event protocol turned into typed events for one listener."""

    listen: Listener
    xact_lock: bool
    plan: ApplyPlan | None = field(default=None)

    def lock_wait(self, holders: list[Holder], remaining: float) -> None:
        self.listen(LockWaiting(tuple(h.describe() for h in holders), tuple(h.pid for h in holders), remaining))

    def plan_ready(self, plan: ApplyPlan) -> None:
        self.plan = plan
        tags = tuple(s.migration.tag for s in plan.steps)
        self.listen(PlanReady(tags, tuple(plan.warnings), plan.tx_mode))
        if self.xact_lock:
            for line in _lock_ends_with(plan):
                self.listen(Note(line))

    def step_started(self, step: Step, index: int, total: int) -> None:
        self.listen(StepStarted(step.migration.tag, index, total))

    def step_done(self, step: Step, seconds: float) -> None:
        self.listen(StepDone(step.migration.tag, seconds, step.transactional))

    def note(self, message: str) -> None:
        self.listen(Note(message))


def _lock_ends_with(plan: ApplyPlan) -> list[str]:
    """Under a transaction-scoped migration lock (a transaction pooler: ``--pgbouncer``), a migration that
    ends its own transaction (its ``COMMIT``, ``ROLLBACK``...) ends the lock with it: what follows runs in
    autocommit, outside any lock (drizzle-orm takes none at all), and another ``migrate`` may begin
    before this one is over. Said before the first statement, once per such migration."""
    return [
        f"{s.migration.file}: ends its own transaction: under a transaction pooler the migration lock "
        "(transaction-scoped) ends with it, and another migrate may start before this one is over; "
        "run it through a direct connection (--database-url) to keep the lock"
        for s in plan.steps
        if s.ends_own_transaction
    ]


def _planner(folder: Folder, request: ApplyRequest, *, read: bool = True) -> Callable[[list[HistoryRow]], ApplyPlan]:
    """The plan maker the runner calls with the rows it read under the lock; refuses first what the folder
    must never run (missing files, NUL bytes, ``when`` out of range, links out of the folder, unknown --to)."""
    from gtsd_tui.core.migrations.plan import build_plan
    from gtsd_tui.core.migrations.preflight import require_applicable
    from gtsd_tui.core.migrations.status import compute_status

    require_applicable(folder, to_tag=request.to_tag, allow_symlinks=request.allow_symlinks)
    cache: dict[tuple[str, str | None], Step] = {}  # a second plan (under the lock) reuses the parsed steps

    def make_plan(rows: list[HistoryRow]) -> ApplyPlan:
        return build_plan(
            folder,
            compute_status(folder, rows),
            tx_mode=request.tx_mode,
            to_tag=request.to_tag,
            allow_out_of_order=request.allow_out_of_order,
            read=read,
            cache=cache,
        )

    return make_plan


def uses_xact_lock(
    url: str, request: ApplyRequest, listen: Listener = ignore, session: Connection[TupleRow] | None = None
) -> bool:
    """True when the lock must be transaction-scoped (``--pgbouncer yes``, or detected under ``auto``);
    ``session``: an open connection to probe with (see :func:`gtsd_tui.db.pooler.transaction_pooling`)."""
    if request.pgbouncer != PgBouncerMode.AUTO:
        return request.pgbouncer == PgBouncerMode.YES
    from gtsd_tui.db.pooler import transaction_pooling

    found = transaction_pooling(url, session)
    if found:
        listen(PoolerDetected())
    return found


def new_canceller() -> Canceller:
    from gtsd_tui.db.cancel import Canceller  # not the runner: a rehearsal's copy starts before that loads

    return Canceller()


def lock_description(project: Project, xact_lock: bool) -> str:
    """How the plan is locked, for ``--dry-run``: the lock's kind, key and table."""
    from gtsd_tui.db.lock import lock_key

    s = project.settings
    kind = "transaction lock per migration" if xact_lock else "session advisory lock"
    return f"{kind} {lock_key(s.schema, s.table)} on {s.table_label}"


def row_sql(project: Project, step: Step) -> str:
    """The INSERT of a step's row as ``--dry-run`` prints it (with ``name`` for a drizzle v1 table)."""
    from gtsd_tui.db.history import insert_row_literal

    s = project.settings
    return insert_row_literal(s.schema, s.table, step.row[0], step.row[1], step.name).as_string(None) + ";"


def upgrade_text(project: Project, plan: ApplyPlan) -> str | None:
    """The v0 → v1 tracking-table upgrade the plan makes first, as SQL (None when there is none)."""
    if plan.upgrade is None:
        return None
    from gtsd_tui.db.upgrade import upgrade_sql_text

    return upgrade_sql_text(project.settings.schema, project.settings.table, plan.upgrade)


def plan_only(project: Project, request: ApplyRequest, *, read: bool = True) -> ApplyPlan:
    """The plan an apply would run now (rows read without the lock): ``--dry-run`` and confirm dialogs."""
    folder = project.load_folder(refresh=True)
    return _planner(folder, request, read=read)(project.read_rows())


@dataclass(frozen=True)
class Prepared:
    """:func:`plan_only`'s plan with what made it, for an :func:`apply` that follows (a rehearsal's, on its
    copy): the folder read once, its steps (split and hashed) reused by the plan made under the lock."""

    folder: Folder
    loaded: tuple[tuple[str, int, int, int], ...]  # the folder's fingerprint, taken before it was read
    make_plan: Callable[[list[HistoryRow]], ApplyPlan]  # the planner (its step cache shared)
    plan: ApplyPlan


def prepare_plan(project: Project, request: ApplyRequest) -> Prepared:
    """:func:`plan_only`, keeping the folder and the planner for ``apply(prepared=...)``."""
    from gtsd_tui.services.folder_stamp import fingerprint

    loaded = fingerprint(project.folder_path)
    folder = project.load_folder(refresh=True)
    make_plan = _planner(folder, request)
    return Prepared(folder, loaded, make_plan, make_plan(project.read_rows()))


def data_preflight(
    project: Project,
    request: ApplyRequest,
    timeout: float,
    progress: Callable[[int, int], None] | None = None,
    plan: ApplyPlan | None = None,
) -> DataPreflight:
    """The data preflight of what an apply would run now (the plan's refusals first), read-only.
    ``plan``: one the caller has just made with :func:`plan_only` for ``request`` (the rehearsal's), not
    made again."""
    from gtsd_tui.services.data_preflight import preflight_steps

    plan = plan if plan is not None else plan_only(project, request)
    return preflight_steps(project.resolve_url(), plan.steps, project.folder_path, timeout, progress)


def review_preflight(project: Project, to_tag: str | None) -> PreflightDone:
    """The console Review's data preflight up to ``to_tag`` (its timeout from the settings), or why it
    could not run (a refusal or an unreachable target: the rehearsal has said it already)."""
    from gtsd_tui.errors import GtsdError
    from gtsd_tui.services.data_preflight import PreflightDone, timeout_setting

    try:
        return PreflightDone(data_preflight(project, ApplyRequest(to_tag=to_tag), timeout_setting(project, None)))
    except GtsdError as exc:
        return PreflightDone(None, str(exc))


def _refuse_on_data(project: Project, url: str, plan: ApplyPlan, timeout: float, listen: Listener) -> None:
    """Before the first statement: warnings as notes; PreflightRefused when a statement is proven to fail."""
    from gtsd_tui.services.data_preflight import PreflightRefused, preflight_steps

    result = preflight_steps(url, plan.steps, project.folder_path, timeout)
    if result.failing:
        raise PreflightRefused(result)
    for f in result.findings:
        if f.status != "ok":
            listen(Note(f"warning: preflight: {f.line()}"))


def apply(
    project: Project,
    request: ApplyRequest,
    listen: Listener = ignore,
    canceller: Canceller | None = None,
    *,
    url: str | None = None,
    observer: StatementObserver | None = None,
    planned: bool = False,
    session: Connection[TupleRow] | None = None,
    prepared: Prepared | None = None,
) -> ApplyResult:
    """Load the folder, detect a pooler, lock, plan from the rows read under the lock, run.

    A rehearsal passes the clone's ``url`` and an ``observer``: the same plan, transactions and
    non-transactional handling, run statement by statement with the observer told around each;
    ``planned``: the caller has just planned from the target's rows (:func:`plan_only`), so the
    refusals were told and the target need not be read again; ``session``: a session to ``url`` the
    caller opened beforehand (:func:`gtsd_tui.db.runner.open_session`), taken over (closed at the end);
    ``prepared``: the caller's :func:`prepare_plan` for ``request`` (implies ``planned``): its folder and
    planner are used, not read and made again.

    Raises what the runner raises (PlanRefused, MigrationFailed, LockTimeout, Cancelled, DatabaseError);
    :func:`failure_of` turns any of them into an :class:`ApplyFailure` for presentation.
    """
    from gtsd_tui.db.runner import open_session
    from gtsd_tui.services.folder_stamp import fingerprint

    if prepared is not None:
        loaded, folder, first_plan, planned = prepared.loaded, prepared.folder, prepared.make_plan, True
    else:
        loaded = fingerprint(project.folder_path)
        folder = project.load_folder(refresh=True)
        first_plan = _planner(folder, request)  # the folder's refusals come before any connection

    def make_plan(rows: list[HistoryRow]) -> ApplyPlan:
        """Under the lock: a folder changed since it was read (a renumber committed meanwhile, under
        this same lock) is read again, so no row is written from the old journal."""
        if fingerprint(project.folder_path) == loaded:
            return first_plan(rows)
        return _planner(project.load_folder(refresh=True), request)(rows)

    url = url or project.resolve_url()
    if session is None:  # one session: the pooler check, the rows read before the lock, the run
        session = open_session(url)
    try:
        return _apply_on(project, folder, request, listen, canceller, url, observer, planned, session, make_plan)
    finally:
        session.close()


def _apply_on(
    project: Project,
    folder: Folder,
    request: ApplyRequest,
    listen: Listener,
    canceller: Canceller | None,
    url: str,
    observer: StatementObserver | None,
    planned: bool,
    session: Connection[TupleRow],
    make_plan: Callable[[list[HistoryRow]], ApplyPlan],
) -> ApplyResult:
    from gtsd_tui.db.history import no_table_but_tracking, read_rows
    from gtsd_tui.db.runner import RunOptions, run

    xact_lock = uses_xact_lock(url, request, listen, session)
    s = project.settings
    opts = RunOptions(
        s.schema,
        s.table,
        request.lock_timeout,
        request.statement_timeout,
        request.wait,
        xact_lock,
        request.retries,
        observer,
    )
    if not planned:  # every refusal of the plan comes before the first statement (DDL included)
        plan = make_plan(read_rows(session, s.schema, s.table))
        if request.preflight_timeout is not None and not no_table_but_tracking(session, s.schema, s.table):
            _refuse_on_data(project, url, plan, request.preflight_timeout, listen)
    relay = _Relay(listen, xact_lock)
    result = run(url, folder, make_plan, opts, relay, canceller, session)
    plan = result.plan
    return ApplyResult(
        tuple(result.applied),
        plan.tx_mode,
        tuple(plan.skipped),
        tuple(plan.warnings),
        xact_lock,
        tuple(result.rolled_back),
        tuple(result.undone),
    )
