"""What the console needs, as blocking calls its workers make: the TUI itself does no I/O.

:class:`ConsoleService` is the interface (tests give the console a fake); :class:`ConsoleBackend` is the
real one over a project, a small pool and a stats collector.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

from gtsd_tui.core.migrations.folder import Folder
from gtsd_tui.core.migrations.status import HistoryRow, StatusReport, compute_status
from gtsd_tui.errors import GtsdError, InputError
from gtsd_tui.services.console_gate import SessionGate
from gtsd_tui.services.console_types import LiveStats as LiveStats  # re-exported: the console names it here
from gtsd_tui.services.files import Preview, Signature, folder_signature, preview_of
from gtsd_tui.services.project import Project

if TYPE_CHECKING:
    from psycopg import Connection
    from psycopg_pool import ConnectionPool

    from gtsd_tui.core.merging.conflicts import Finding  # check's modules load in the findings worker
    from gtsd_tui.core.merging.schema_findings import Fork
    from gtsd_tui.db.runner import Canceller
    from gtsd_tui.db.stats import StatsCollector
    from gtsd_tui.services.apply import ApplyResult, Listener
    from gtsd_tui.services.console_envs import Environments
    from gtsd_tui.services.folder_ops import RenumberContext
    from gtsd_tui.services.prefetch import ChildRead, First
    from gtsd_tui.services.rehearse import Rehearsal


T = TypeVar("T")


@dataclass
class DbState:
    connected: bool
    url: str
    version: str | None = None
    error: str | None = None
    checked_at: float = field(default_factory=time.monotonic)
    fatal: bool = False  # the URL itself is bad (malformed): no retry will help; the console exits 2


@dataclass
class ConsoleState:
    """One refresh: the folder, its status against the database, and check's findings."""

    folder: Folder | None
    report: StatusReport | None  # None when the folder could not be read
    findings: list[Finding]
    db: DbState
    folder_error: str | None = None


@dataclass(frozen=True)
class Info:
    folder: str  # relative to the working directory where possible
    url: str
    embedded: bool
    origin: str = ""  # where the URL came from ("DATABASE_URL in .env"): what to fix when it is refused


class ConsoleService(Protocol):
    def info(self) -> Info: ...
    def refresh(self) -> ConsoleState: ...
    def prefetched(self, *, wait: bool = False) -> tuple[ConsoleState, Signature] | None: ...
    def outline(self, *, wait: bool = False) -> list[str] | None: ...
    def findings(self, state: ConsoleState) -> list[Finding]: ...
    def preview(self, folder: Folder, tag: str) -> Preview: ...
    def file_view(self, state: ConsoleState, tag: str) -> tuple[str, Sequence[str]]: ...
    def plan_text(self, to_tag: str | None) -> str: ...
    def apply(self, to_tag: str | None, listen: Listener, safe: bool = False) -> ApplyResult: ...
    def rehearse(self, to_tag: str | None, listen: Callable[[object], None]) -> Rehearsal: ...
    def file_lines(self, path: str) -> list[str]: ...
    def cancel_apply(self) -> None: ...
    def stats(self, *, indexes: bool, instances: int) -> LiveStats: ...
    def signal(self, pid: int, *, terminate: bool) -> bool: ...
    def watch_signature(self) -> Signature: ...
    def gated(self, read: Callable[[], T]) -> T: ...
    def reset_target(self) -> tuple[str, bool]: ...
    def backup(self) -> str: ...
    def reset(self, progress: Callable[[str], None]) -> dict[str, float]: ...
    def create(self, name: str) -> str: ...
    def renumber_plan(self) -> RenumberContext: ...
    def renumber_forks(self) -> list[Fork]: ...
    def apply_renumber(self, context: RenumberContext) -> None: ...
    def environments(self) -> Environments: ...
    def apply_env(self, name: str, to_tag: str | None, listen: Listener) -> ApplyResult: ...
    def release(self) -> None: ...
    def close(self) -> None: ...


class ConsoleBackend:
    def __init__(self, project: Project) -> None:
        self.project = project
        self._collector: StatsCollector | None = None  # stats: its own connection
        self._pool_obj: ConnectionPool | None = None  # status reads: a small psycopg_pool
        self._pool_lock = threading.Lock()
        self._gate = SessionGate()  # the pool and the stats connection step aside while a rehearsal copies
        self._prefetched: tuple[ConsoleState, Signature] | None = None
        self._pool_max: tuple[float, int | None] | None = None  # (mtime, max) of connection.ts
        self._canceller: Canceller | None = None
        self._child: ChildRead[First] | None = None  # the first refresh, read by a forked child

    def info(self) -> Info:
        folder = self.project.folder_path
        try:
            folder = folder.relative_to(Path.cwd())
        except ValueError:
            pass
        return Info(str(folder), self.project.masked_url, self.project.embedded, self.project.url_source)

    def prefetch(self, *, fork: bool = True) -> None:
        """Start the first refresh before Textual is imported: in a forked child (services/prefetch.py),
        else here, alone on the CPU (in a thread beside Textual's start-up, a large folder's thousands
        of system calls each waited for the GIL behind the main thread: 4x slower)."""
        from gtsd_tui.services.prefetch import fork_read

        # a configured URL: the child starts no server, it may yield the CPU to the first frame
        calm = bool(self.project.settings.database_url)
        self._child = fork_read(self.project.outline, self._first_read, then_yield=calm) if fork else None
        if self._child is None:
            self._prefetched = self._first_read()[:2]

    def _first_read(self) -> First:
        signature = self.watch_signature()  # before reading, as every refresh of the console
        state = self._refresh(direct=True)
        return state, signature, self.project.url, self.project.embedded

    def outline(self, *, wait: bool = False) -> list[str] | None:
        """The folder's tags in run order, read by the prefetch child before its refresh (a listing, no
        SQL read): what the first frame shows while the database is read. Once; None when the child has
        not sent it yet (``wait``: from a worker, until it has), has none, or there is no child."""
        child = self._child
        return child.outline(wait=wait) if child is not None else None

    def prefetched(self, *, wait: bool = False) -> tuple[ConsoleState, Signature] | None:
        """The refresh made before the console started, once: the main screen shows it as it mounts, in
        the same paint as the panes. The child's, if it has sent it (or ``wait``: from a worker)."""
        child = self._child
        if self._prefetched is None and child is not None and (wait or child.ready()):
            got = child.take()  # close() (the console quitting meanwhile) stops it: None
            self._child = None
            if got is not None:
                state, signature, url, embedded = got
                self.project.url, self.project.embedded = url, embedded  # the child may have started it
                self._prefetched = (state, signature)
        first, self._prefetched = self._prefetched, None
        return first

    def refresh(self) -> ConsoleState:
        """The folder and its status (fast); ``findings`` fills in check's findings afterwards."""
        return self._refresh()

    def _refresh(self, *, direct: bool = False) -> ConsoleState:
        url = self.project.masked_url
        try:
            folder = self.project.load_folder(refresh=True)
        except GtsdError as exc:
            return ConsoleState(None, None, [], DbState(False, url, error=None), folder_error=str(exc))
        db, rows = self.db_state(direct=direct)
        if not db.connected and self._follow_embedded():  # the embedded server restarted on another port
            db, rows = self.db_state(direct=direct)
        return ConsoleState(folder, compute_status(folder, rows or []), [], db)

    def _follow_embedded(self) -> bool:
        """An embedded server that was stopped and started again listens on a new port: use it."""
        if not self.project.embedded:
            return False
        from gtsd_tui.db.embedded import running_url

        url = running_url(self.project.settings.cwd / ".gtsd")
        if url is None or url == self.project.url:
            return False
        self._drop_sessions()
        self.project.url = url
        return True

    def findings(self, state: ConsoleState) -> list[Finding]:
        if state.folder is None or state.report is None:
            return []
        from gtsd_tui.core.merging.conflicts import check_database, check_folder

        found = check_folder(state.folder)
        if state.db.connected:
            found += check_database(state.report)
        return found

    def db_state(self, *, direct: bool = False) -> tuple[DbState, list[HistoryRow] | None]:
        """Server version and the tracking table's rows, over one connection (``direct``: its own, not
        the pool's: the first read, in the prefetch child)."""
        from gtsd_tui.db.connect import connect

        try:
            if direct:
                with connect(self.project.resolve_url(), connect_timeout=3) as conn:
                    version, rows = self._read(conn)
            else:
                with self._gate.use():  # held back while a rehearsal copies the target
                    version, rows = self._pooled_read()
            return DbState(True, self.project.masked_url, version=version), rows
        except GtsdError as exc:
            return DbState(False, self.project.masked_url, error=str(exc), fatal=isinstance(exc, InputError)), None
        except Exception as exc:  # pool timeout / connection errors: a state, never a crash
            from gtsd_tui.db.connect import describe_error

            return DbState(False, self.project.masked_url, error=describe_error(self.project.url or "", exc)), None

    def _read(self, conn: Connection[tuple[object, ...]]) -> tuple[str | None, list[HistoryRow]]:
        from gtsd_tui.db.history import read_rows

        version = conn.execute("SHOW server_version").fetchone()
        rows = read_rows(conn, self.project.settings.schema, self.project.settings.table)
        return (str(version[0]) if version else None), rows

    def _pooled_read(self) -> tuple[str | None, list[HistoryRow]]:
        """The read over the pool's connection. One the server ended (stopped, killed, restarted; a branch
        checkout's rename ends sessions too) drops the pool and the read is made once more over a new
        connection: the server's answer at once, its driver's reason when it is gone (the next read opens a
        new pool, as the first did), never the pool waiting its timeout for connections it cannot make."""
        from gtsd_tui.db.connect import ConnectionLost, connect, pooled_read

        pool = self._pool()
        try:
            return pooled_read(pool, self._read)
        except ConnectionLost:
            pass
        self._drop_pool(pool)
        try:
            with connect(self.project.resolve_url(), connect_timeout=3) as conn:
                return self._read(conn)
        finally:
            pool.close(timeout=1.0)  # after the read: its workers may be in a connection attempt

    def _pool(self) -> ConnectionPool:
        """The console's own small pool (psycopg_pool); its statistics show in the Connections pane. One
        at a time: the state's reads may overlap (a replaced read runs to its end)."""
        with self._pool_lock:
            if self._pool_obj is None:
                from gtsd_tui.db.connect import open_pool

                self._pool_obj = open_pool(self.project.resolve_url())
            return self._pool_obj

    def _drop_pool(self, pool: ConnectionPool) -> None:
        """Forget ``pool`` (unless another read already did and opened the next one)."""
        with self._pool_lock:
            if self._pool_obj is pool:
                self._pool_obj = None

    def preview(self, folder: Folder, tag: str) -> Preview:
        return preview_of(self.project, folder, tag)

    def file_view(self, state: ConsoleState, tag: str) -> tuple[str, Sequence[str]]:
        """Title and lines for ``enter``: the file, or for a modified one the diff from its applied version."""
        from gtsd_tui.services.files import file_view

        return file_view(self.project, state, tag)

    def apply(self, to_tag: str | None, listen: Listener, safe: bool = False) -> ApplyResult:
        """Through the one apply use case (PgBouncer detection, lock, typed events); cancel_apply stops it.
        ``safe``: the careful lock_timeout, statement_timeout and retries (apply from the Review screen)."""
        from gtsd_tui.services.apply import ApplyRequest, apply, new_canceller

        request = ApplyRequest(to_tag=to_tag)
        if safe:
            from gtsd_tui.services.safe_options import resolve

            o = resolve(self.project.settings, safe=True)
            request = ApplyRequest(
                to_tag=to_tag, lock_timeout=o.lock_timeout, statement_timeout=o.statement_timeout, retries=o.retries
            )
        self._canceller = new_canceller()
        try:
            return apply(self.project, request, listen, self._canceller)
        finally:
            self._canceller = None

    def file_lines(self, path: str) -> list[str]:
        """A rehearsed statement's file for the Review screen (empty when it cannot be read)."""
        try:
            return Path(path).read_text(encoding="utf-8", errors="replace").split("\n")
        except OSError:
            return []

    def rehearse(self, to_tag: str | None, listen: Callable[[object], None]) -> Rehearsal:
        """Review's rehearsal up to ``to_tag``, then its data preflight (a PreflightDone); cancel_apply stops it.

        The console's own sessions to the target leave first (the reads and polls in flight are let
        finish, the pool and the stats connection closed) and none comes back until it is over, so the
        copy may be ``CREATE DATABASE ... TEMPLATE``, as from the command line; the next read or poll
        after it reconnects (on success, failure and cancel alike)."""
        from gtsd_tui.services.apply import ApplyRequest, new_canceller, review_preflight
        from gtsd_tui.services.rehearse import rehearse

        self._canceller = canceller = new_canceller()
        try:
            with self._gate.aside() as idle:
                self._drop_sessions(collector=idle)  # not under a poll still running: its connection is in use
                result = rehearse(self.project, ApplyRequest(to_tag=to_tag), listen, canceller)
        finally:
            self._canceller = None
        listen(review_preflight(self.project, to_tag))  # then the target's own rows, read-only
        return result

    def environments(self) -> Environments:
        from gtsd_tui.services.console_envs import load_environments

        return load_environments(self.project)

    def apply_env(self, name: str, to_tag: str | None, listen: Listener) -> ApplyResult:
        """Apply to another environment of the project (the Environments view); cancel_apply stops it."""
        from gtsd_tui.services.apply import new_canceller
        from gtsd_tui.services.console_envs import apply_to_environment

        self._canceller = canceller = new_canceller()
        try:
            return apply_to_environment(self.project, name, to_tag, listen, canceller)
        finally:
            self._canceller = None

    def cancel_apply(self) -> None:
        canceller = self._canceller
        if canceller is not None:
            canceller.cancel()

    def create(self, name: str) -> str:
        """``gtsd-tui new NAME`` from the console; the file's name relative to the folder."""
        from gtsd_tui.services.folder_ops import create_migration

        made = create_migration(self.project, name, None)
        return str(made.file)

    def plan_text(self, to_tag: str | None) -> str:
        """The plan the confirm dialog shows, from the current rows (read-only)."""
        from gtsd_tui.services.apply import ApplyRequest, plan_only

        plan = plan_only(self.project, ApplyRequest(to_tag=to_tag), read=False)
        notes = [f"! {w}" for w in plan.warnings]  # e.g. the v0 table upgrade drizzle-orm 1.0 makes first
        if not plan.steps:
            return "\n".join([*notes, "nothing to apply"])
        lines = [*notes, f"apply {len(plan.steps)} migration(s), each in its own transaction with its row:"]
        lines += [f"  • {s.migration.tag}" for s in plan.steps]
        return "\n".join(lines)

    def _collector_(self) -> StatsCollector:
        if self._collector is None:
            from gtsd_tui.services.live import open_collector

            self._collector = open_collector(self.project.resolve_url())
        return self._collector

    def stats(self, *, indexes: bool, instances: int) -> LiveStats:
        """One poll of live statistics (the collector keeps its own connection between polls)."""
        from gtsd_tui.core.server.advisor import Advice
        from gtsd_tui.services.live import live_stats, poll

        with self._gate.use():  # held back while a rehearsal copies the target
            s = poll(self._collector_(), indexes=indexes, sessions=True)
        pool = None
        if self._pool_obj is not None:
            p = self._pool_obj.get_stats()
            pool = (
                f"our pool {p.get('pool_size', 0)}/{p.get('pool_max', 0)} available {p.get('pool_available', 0)} "
                f"waiting {p.get('requests_waiting', 0)} errors {p.get('connections_errors', 0)}"
            )
        advice = Advice(s.max_connections, s.reserved, instances, self._read_pool_max())
        return live_stats(s, pool, tuple(advice.lines()))

    def _read_pool_max(self) -> int | None:
        """The app's pool max from connection.ts, re-read only when the file changes (in the stats worker)."""
        from gtsd_tui.core.server.advisor import CONNECTION_TS, read_pool_max

        try:
            mtime = (self.project.settings.cwd / CONNECTION_TS).stat().st_mtime
        except OSError:
            mtime = -1.0
        if self._pool_max is None or self._pool_max[0] != mtime:
            self._pool_max = (mtime, read_pool_max(self.project.settings.cwd))
        return self._pool_max[1]

    def signal(self, pid: int, *, terminate: bool) -> bool:
        with self._gate.use():
            return self._collector_().signal(pid, terminate=terminate)

    def watch_signature(self) -> Signature:
        return folder_signature(self.project.folder_path)

    def gated(self, read: Callable[[], T]) -> T:
        """``read()``, which connects to the target on its own (the drift and branch marks), held back
        while a rehearsal copies the target as the console's own sessions are (a session connected then
        would turn Review's template copy into a schema-only one)."""
        with self._gate.use():
            return read()

    def close(self) -> None:
        """The console is closing: the prefetch child stopped, our sessions closed, reads held back
        by a rehearsal give up."""
        if self._child is not None:
            self._child.close()
        self._gate.close()
        self._drop_sessions()

    def release(self) -> None:
        """Our sessions leave the database (a reset of it is about to start); the next read or poll
        opens new ones. Unlike :meth:`close`, the console goes on."""
        self._drop_sessions()

    def _drop_sessions(self, *, collector: bool = True) -> None:
        """Close the pool and (``collector``) the stats connection; the next read or poll opens new ones.
        A pool connection still lent out is closed when it is given back."""
        with self._pool_lock:
            stats, pool = (self._collector if collector else None), self._pool_obj
            self._pool_obj = None
            if collector:
                self._collector = None
        if stats is not None:
            stats.close()
        if pool is not None:
            pool.close()

    def reset_target(self) -> tuple[str, bool]:
        """(database name, is it on a local server) for the reset dialog; decided without connecting."""
        from gtsd_tui.services.local_guard import local_target

        return local_target(self.project.resolve_url())

    def backup(self) -> str:
        from gtsd_tui.services.backup import dump

        return str(dump(self.project.resolve_url(), None, self.project.settings.cwd))

    def reset(self, progress: Callable[[str], None]) -> dict[str, float]:
        from gtsd_tui.services.reset import reset_database

        self.release()  # our own pool and stats connection would keep the database busy
        return reset_database(self.project, self.project.resolve_url(), None, progress=progress)

    def renumber_plan(self) -> RenumberContext:
        from gtsd_tui.services.folder_ops import prepare_renumber

        return prepare_renumber(self.project)

    def renumber_forks(self) -> list[Fork]:
        """The branches the renumber merges (for the plan's "independent" / overlap lines)."""
        from gtsd_tui.core.merging.schema_findings import forks

        return forks(self.project.load_folder())

    def apply_renumber(self, context: RenumberContext) -> None:
        """The plan's context: a folder changed since the plan was made is refused (stale-plan check)."""
        from gtsd_tui.services.folder_ops import apply_renumber

        apply_renumber(self.project, context)
