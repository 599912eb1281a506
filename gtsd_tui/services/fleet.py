"""Many databases at once: ``envs`` and ``fleet status`` (read-only), ``fleet migrate`` (apply).

Every target runs in a worker thread with ONE connection at a time (psycopg, sync), at most ``jobs``
targets at once. Status is ``compute_status`` (as ``status``); migrate is ``services.apply.apply``
(as ``migrate``: per-file transactions, the migration lock per database, PgBouncer detection). An
unreachable database is a state of its record, never an exception. Listeners are called from the
worker threads: a console must hop to its UI thread (``call_from_thread``).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from gtsd_tui.config import Settings, mask_url, scrub
from gtsd_tui.core.fleets.fleet import Differences, TargetResult, TargetStatus, differences
from gtsd_tui.core.fleets.targets import Target
from gtsd_tui.errors import GtsdError, InputError

if TYPE_CHECKING:
    from gtsd_tui.core.migrations.folder import Folder
    from gtsd_tui.services.apply import ApplyEvent, ApplyFailure, ApplyRequest, Canceller
    from gtsd_tui.services.project import Project

MAX_JOBS = 8
DEFAULT_CONNECT_TIMEOUT = 5.0


def default_jobs() -> int:
    """``min(8, 2 × CPUs)``: the targets migrated at once when ``--jobs`` is not given."""
    return max(1, min(MAX_JOBS, 2 * (os.cpu_count() or 1)))


def validate_targets(targets: Sequence[Target]) -> None:
    """Every URL parsed as libpq would (no network); InputError naming the target's source, password masked."""
    from gtsd_tui.db.connect import parse_conninfo

    for t in targets:
        parse_conninfo(t.url, f"{t.source}: {t.name}:")


# ---- status (read-only) ------------------------------------------------------------------------


def status_one(target: Target, folder: Folder, *, connect_timeout: float = DEFAULT_CONNECT_TIMEOUT) -> TargetStatus:
    """One database's status; an unreachable or unreadable one comes back with ``reachable`` False."""
    import psycopg

    from gtsd_tui.core.migrations.status import compute_status
    from gtsd_tui.db.connect import connect
    from gtsd_tui.db.history import read_rows

    t0 = time.perf_counter()
    masked = mask_url(target.url)
    try:
        with connect(target.url, connect_timeout=connect_timeout) as conn:
            version = conn.info.parameter_status("server_version") or ""
            rows = read_rows(conn, target.schema, target.table)
    except (GtsdError, psycopg.Error, OSError) as exc:  # a cell state, never a crash
        reason = scrub(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__, target.url)
        reason = reason.removeprefix(f"cannot connect to {masked}: ")  # the record names the URL already
        return TargetStatus(target.name, masked, target.source, False, reason, seconds=time.perf_counter() - t0)
    report = compute_status(folder, rows)
    return TargetStatus(
        target.name,
        masked,
        target.source,
        True,
        None,
        version.split(" ")[0] or None,
        report,
        time.perf_counter() - t0,
    )


def status_many(
    targets: Sequence[Target],
    folder: Folder,
    *,
    jobs: int | None = None,
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    listen: Callable[[TargetStatus], None] | None = None,
) -> list[TargetStatus]:
    """Every target's :class:`TargetStatus`, read in parallel (``jobs`` at once), in the targets' order.
    ``listen`` gets each record as it completes (from a worker thread)."""

    def one(target: Target) -> TargetStatus:
        st = status_one(target, folder, connect_timeout=connect_timeout)
        if listen is not None:
            listen(st)
        return st

    if not targets:
        return []
    with ThreadPoolExecutor(max_workers=_workers(jobs, len(targets)), thread_name_prefix="gtsd-status") as pool:
        return list(pool.map(one, targets))


@dataclass(frozen=True)
class Overview:
    """``envs``: the folder, each environment's status (in order) and how they differ."""

    folder: Folder
    statuses: list[TargetStatus]
    differences: Differences

    @property
    def ok(self) -> bool:
        """Every environment reachable, none with a problem state, none differing from another."""
        return not self.differences and not any(t.problems for t in self.statuses)


def envs_overview(
    project: Project,
    names: Sequence[str] = (),
    *,
    jobs: int | None = None,
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    listen: Callable[[TargetStatus], None] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Overview:
    """Every environment of the project (``services.targets.discover_envs``: ``.env`` + each
    ``.env.NAME``, or ``names``) read in parallel, read-only. Input errors (a named environment without
    its file, a malformed URL, an unreadable folder) raise InputError before any connection."""
    from gtsd_tui.services.targets import discover_envs

    targets = discover_envs(project.settings, names, os.environ if environ is None else environ)
    validate_targets(targets)
    folder = project.load_folder(refresh=True)
    statuses = status_many(targets, folder, jobs=jobs or len(targets), connect_timeout=connect_timeout, listen=listen)
    return Overview(folder, statuses, differences(statuses))


# ---- migrate -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetStarted:
    name: str


@dataclass(frozen=True)
class TargetProgress:
    name: str
    event: ApplyEvent  # the apply service's own event (PlanReady, StepStarted, StepDone, LockWaiting, ...)


@dataclass(frozen=True)
class TargetFinished:
    result: TargetResult


@dataclass(frozen=True)
class WaveStarted:
    """A staged rollout's wave begins (``services.rollout``): ``index`` 1-based of ``total``."""

    index: int
    total: int
    names: tuple[str, ...]  # the targets it runs (done ones of a resumed rollout left out)
    canary: bool = False


@dataclass(frozen=True)
class RolloutHalted:
    """The policy halted the rollout: no new target starts, running ones stop after their migration."""

    reason: str


FleetEvent = TargetStarted | TargetProgress | TargetFinished | WaveStarted | RolloutHalted
FleetListener = Callable[[FleetEvent], None]


class FleetCancel:
    """Stop a running rollout (``services.rollout``) from another thread: ``cancel`` (Ctrl-C, SIGTERM):
    no new target starts, and each running target's statement is cancelled on its server (its
    migration rolls back, as Ctrl-C in ``migrate``); ``halt`` (the policy): no new target starts, and
    each running target stops after its current migration."""

    def __init__(self) -> None:
        self.requested = False
        self.halted = False
        self._lock = threading.Lock()
        self._running: dict[str, Canceller] = {}

    def _attach(self, name: str, canceller: Canceller) -> bool:
        with self._lock:
            if self.requested or self.halted:
                return False
            self._running[name] = canceller
            return True

    def _detach(self, name: str) -> None:
        with self._lock:
            self._running.pop(name, None)

    def cancel(self) -> None:
        with self._lock:
            self.requested = True
            running = list(self._running.values())
        for c in running:
            c.cancel()

    def halt(self) -> None:
        with self._lock:
            self.halted = True
            running = list(self._running.values())
        for c in running:
            c.stop()


def check_folder(settings: Settings, request: ApplyRequest) -> Folder:
    """The folder loaded (an interrupted renumber recovered, once, in this thread) and every refusal of
    the apply plan that depends on the folder alone (as ``migrate``'s), before any connection."""
    from gtsd_tui.core.migrations.preflight import require_applicable
    from gtsd_tui.services.project import Project

    folder = Project(settings).load_folder(refresh=True)
    require_applicable(folder, to_tag=request.to_tag, allow_symlinks=request.allow_symlinks)
    return folder


def prepare_migrate(settings: Settings, targets: Sequence[Target], request: ApplyRequest) -> Folder:
    """Everything checked before the first connection: the targets' URLs, the folder, the plan's folder
    refusals. Returns the folder."""
    if not targets:
        raise InputError("no targets")
    validate_targets(targets)
    return check_folder(settings, request)


def migrate_one(
    settings: Settings,
    target: Target,
    request: ApplyRequest,
    listen: FleetListener,
    canceller: Canceller | None = None,
) -> TargetResult:
    """One target through ``services.apply.apply``; any failure becomes the result's ``failure``."""
    from gtsd_tui.core.fleets.rollout import HALTED
    from gtsd_tui.db.runner import Cancelled
    from gtsd_tui.services.apply import Note, StepDone, apply, failure_of
    from gtsd_tui.services.project import Project

    done: list[tuple[str, float]] = []  # committed before a failure: the exception does not carry them

    def relay(event: ApplyEvent) -> None:
        if isinstance(event, StepDone):
            done.append((event.tag, event.seconds))
        listen(TargetProgress(target.name, event))

    own = settings.replaced(database_url=target.url, database_source=target.source, schema=target.schema)
    project = Project(own.replaced(table=target.table), url=target.url, notify=lambda m: relay(Note(m)))
    t0 = time.perf_counter()
    masked = mask_url(target.url)
    try:
        result = apply(project, request, relay, canceller)
    except Exception as exc:  # one target's failure is its record, never the fleet's
        seconds = time.perf_counter() - t0
        if isinstance(exc, Cancelled) and canceller is not None and canceller.stopping and not canceller.cancelled:
            why = "stopped " + str(exc).removeprefix("cancelled ")  # before TAG; applied so far: ...
            return TargetResult(
                target.name, masked, target.source, tuple(done), None, why, seconds, rollout_state=HALTED
            )
        failure = _scrubbed(failure_of(exc), target.url)
        kept = tuple((t, sec) for t, sec in done if t not in failure.rolled_back)
        return TargetResult(target.name, masked, target.source, kept, failure, failure.message, seconds)
    return TargetResult(
        target.name,
        masked,
        target.source,
        tuple(result.applied),
        None,
        None,
        time.perf_counter() - t0,
        warnings=tuple(scrub(w, target.url) for w in (*result.warnings, *result.undone)),
        rolled_back=tuple(result.rolled_back),
    )


def _workers(jobs: int | None, n: int) -> int:
    return max(1, min(jobs or default_jobs(), n))


def _scrubbed(failure: ApplyFailure, url: str) -> ApplyFailure:
    """The failure with the target's password removed from every text the server or driver gave."""

    def clean(text: str | None) -> str | None:
        return None if text is None else scrub(text, url)

    f = failure
    return replace(
        f,
        message=scrub(f.message, url),
        server_message=clean(f.server_message),
        detail=clean(f.detail),
        hint=clean(f.hint),
        context=clean(f.context),
        excerpt=clean(f.excerpt),
    )


__all__ = [
    "FleetCancel",
    "FleetEvent",
    "Overview",
    "envs_overview",
    "TargetFinished",
    "TargetProgress",
    "TargetStarted",
    "WaveStarted",
    "RolloutHalted",
    "default_jobs",
    "migrate_one",
    "prepare_migrate",
    "check_folder",
    "status_many",
    "status_one",
    "validate_targets",
]
