"""A console service without a database: the real folder code over a real folder on disk, the
tracking table as a list of applied tags, canned statistics. Pilot and snapshot tests use it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from gtsd_tui.config import load_settings
from gtsd_tui.core.merging.conflicts import Finding, check_folder
from gtsd_tui.core.merging.schema_findings import Fork
from gtsd_tui.core.migrations.folder import Folder, load_folder
from gtsd_tui.core.migrations.status import HistoryRow, compute_status
from gtsd_tui.core.server.activity import Session
from gtsd_tui.errors import DatabaseError, GtsdError
from gtsd_tui.services.apply import ApplyResult, Listener, PlanReady, StepDone, StepStarted
from gtsd_tui.services.console import ConsoleState, DbState, Info, LiveStats
from gtsd_tui.services.console_envs import EnvColumn, Environments
from gtsd_tui.services.files import Preview, Signature, folder_signature, preview_of
from gtsd_tui.services.folder_ops import RenumberContext
from gtsd_tui.services.project import Project
from gtsd_tui.services.rehearse import Rehearsal

T = TypeVar("T")

URL = "postgresql://app:***@db.test:5432/app"
SLEEPER = Session(4242, "app", "psql", "active", "Timeout:PgSleep", 12.5, "SELECT pg_sleep(600)")
BLOCKED = Session(4343, "app", "worker", "active", "Lock:relation", 3.0, "ALTER TABLE users ADD x int", (4242,))
IDLE = Session(4444, "app", "api", "idle in transaction", "Client:ClientRead", 40.0, "UPDATE orders SET x = 1")


class FakeConsole:
    def __init__(self, folder: Path, *, applied: Sequence[str] = (), connected: bool = True) -> None:
        self.folder_path = folder
        self.applied = list(applied)
        self.connected = connected
        self.project = Project(load_settings(cwd=folder.parent, migrations=str(folder), environ={}))
        self.sessions = [SLEEPER, BLOCKED, IDLE]
        self.signals: list[tuple[int, bool]] = []
        self.polls = 0
        self.reset_error: BaseException | None = None
        self.apply_error: GtsdError | None = None
        self.unknown_rows: list[HistoryRow] = []  # rows of the table no migration of the folder matches
        # the Environments view: name -> applied tags (None: unreachable); the first is the console's own
        self.env_applied: dict[str, list[str] | None] = {"dev": None, "staging": [], "prod": None}
        self.env_unknown: dict[str, list[HistoryRow]] = {}
        self.env_calls: list[tuple[str, str | None]] = []
        self.env_gate: threading.Event | None = None  # set: environments() waits for it (a slow refresh)
        self.env_apply_gate: threading.Event | None = None  # set: apply_env() waits for it (a slow apply)

    def _rows(self, folder: Folder) -> list[HistoryRow]:
        by_tag = {m.tag: m for m in folder.migrations}
        rows = []
        for i, tag in enumerate(self.applied):
            m = by_tag[tag]
            assert m.hash is not None
            rows.append(HistoryRow(i + 1, m.hash, m.when, legacy=True))  # a drizzle v0 table
        return rows + self.unknown_rows

    def info(self) -> Info:
        return Info("migrations", URL, False)

    def refresh(self) -> ConsoleState:
        try:
            folder = load_folder(self.folder_path)
        except GtsdError as exc:
            return ConsoleState(None, None, [], DbState(False, URL), folder_error=str(exc))
        if not self.connected:
            db = DbState(False, URL, error="cannot connect to db.test:5432/app: connection refused")
            return ConsoleState(folder, compute_status(folder, []), [], db)
        return ConsoleState(folder, compute_status(folder, self._rows(folder)), [], DbState(True, URL, "17.2"))

    def prefetch(self) -> None:
        """As the real backend before the app starts: the first refresh, shown as the screen mounts."""
        self.first = (self.refresh(), self.watch_signature())

    def outline(self, *, wait: bool = False) -> list[str] | None:
        """The real backend's child sends the folder's tags before its state; the fake has no child."""
        return None

    def prefetched(self, *, wait: bool = False) -> tuple[ConsoleState, Signature] | None:
        first, self.first = getattr(self, "first", None), None
        return first

    def findings(self, state: ConsoleState) -> list[Finding]:
        return check_folder(state.folder) if state.folder else []

    def preview(self, folder: Folder, tag: str) -> Preview:
        return preview_of(self.project, folder, tag)

    def file_view(self, state: ConsoleState, tag: str) -> tuple[str, Sequence[str]]:
        assert state.folder is not None
        p = self.preview(state.folder, tag)
        return tag, p.lines

    def plan_text(self, to_tag: str | None) -> str:
        return "apply the pending migrations"

    def apply(self, to_tag: str | None, listen: Listener, safe: bool = False) -> ApplyResult:
        if self.apply_error is not None:
            raise self.apply_error
        folder = load_folder(self.folder_path)
        todo = [m.tag for m in folder.migrations if m.tag not in self.applied]
        listen(PlanReady(tuple(todo), (), "per-file"))
        for i, tag in enumerate(todo):
            listen(StepStarted(tag, i, len(todo)))
            self.applied.append(tag)
            listen(StepDone(tag, 0.001, True))
        return ApplyResult(tuple((t, 0.001) for t in todo), "per-file", (), (), False)

    def rehearse(self, to_tag: str | None, listen: Callable[[object], None]) -> Rehearsal:
        raise GtsdError("not in the fake: a rehearsal needs a real server (tests/test_review_screen.py)")

    def file_lines(self, path: str) -> list[str]:
        return Path(path).read_text().split("\n")

    def cancel_apply(self) -> None:
        pass

    def stats(self, *, indexes: bool, instances: int) -> LiveStats:
        if not self.connected:
            raise DatabaseError("stats: connection refused")
        self.polls += 1
        n = self.polls
        return LiveStats(
            total=12 + n % 5,
            max_connections=100,
            active=2 + n % 3,
            idle=8,
            idle_in_tx=1,
            waiting=1,
            tps=float(10 + n % 7),
            longest_tx_s=40.0,
            longest_idle_tx_s=40.0,
            blocked_wait_s=3.0,
            blocked=("pid 4343 waits for AccessExclusiveLock on users, blocked by [4242]",),
            sessions=tuple(self.sessions),
            pool="our pool 1/4 available 1 waiting 0 errors 0",
            notices=(),
            advice=(
                "usable connections: 100 - 3 reserved = 97",
                f"max per instance = 97 / {instances} instance(s) = {97 // instances}",
            ),
        )

    def signal(self, pid: int, *, terminate: bool) -> bool:
        self.signals.append((pid, terminate))
        self.sessions = [s for s in self.sessions if s.pid != pid]
        return True

    def watch_signature(self) -> Signature:
        return folder_signature(self.folder_path)

    def gated(self, read: Callable[[], T]) -> T:
        return read()

    def reset_target(self) -> tuple[str, bool]:
        return "app", True

    def backup(self) -> str:
        return "backup_test.sql"

    def reset(self, progress: Callable[[str], None]) -> dict[str, float]:
        progress("recreating app")
        if self.reset_error is not None:
            raise self.reset_error
        self.applied = []
        return {"recreate": 0.01, "total": 0.02}

    def create(self, name: str) -> str:
        raise GtsdError("not in the fake")

    def renumber_plan(self) -> RenumberContext:
        raise GtsdError("not in the fake")

    def renumber_forks(self) -> list[Fork]:
        return []

    def apply_renumber(self, context: RenumberContext) -> None:
        raise GtsdError("not in the fake")

    def environments(self) -> Environments:
        if self.env_gate is not None:
            self.env_gate.wait(10)
        folder = load_folder(self.folder_path)
        by_tag = {m.tag: m for m in folder.migrations}
        envs = []
        for i, (name, applied) in enumerate(self.env_applied.items()):
            url = URL.replace("db.test:5432/app", f"db-{name}.test:5432/app")
            if i == 0:
                applied = self.applied
            if applied is None:
                error = f"cannot connect to db-{name}.test:5432/app: connection refused"
                envs.append(EnvColumn(name, url, f".env.{name}", i == 0, False, error))
                continue
            rows = [HistoryRow(j + 1, by_tag[t].hash or "", by_tag[t].when, legacy=True) for j, t in enumerate(applied)]
            report = compute_status(folder, rows + self.env_unknown.get(name, []))
            envs.append(EnvColumn(name, url, f".env.{name}", i == 0, True, None, "17.2", report))
        tags = tuple(m.tag for m in folder.migrations)
        reachable = [e for e in envs if e.reachable and e.report is not None]
        diffs = []
        for tag in tags:
            have = [e.name for e in reachable if e.item(tag) is not None and e.item(tag).row is not None]
            lack = [e.name for e in reachable if e.name not in have]
            if have and lack:
                diffs.append(f"{' and '.join(have)} has {tag} that {' and '.join(lack)} lacks")
        for e in reachable:
            diffs += [f"{e.name} has a row no file explains (id {r.id})" for r in e.report.unknown_rows]
        return Environments(tags, tuple(envs), tuple(diffs))

    def apply_env(self, name: str, to_tag: str | None, listen: Listener) -> ApplyResult:
        self.env_calls.append((name, to_tag))
        if self.env_apply_gate is not None:
            self.env_apply_gate.wait(10)
        applied = self.applied if name == next(iter(self.env_applied)) else self.env_applied[name]
        if applied is None:
            raise DatabaseError(f"cannot connect to db-{name}.test:5432/app: connection refused")
        folder = load_folder(self.folder_path)
        todo = []
        for m in folder.migrations:
            if m.tag not in applied:
                todo.append(m.tag)
            if m.tag == to_tag:
                break
        listen(PlanReady(tuple(todo), (), "per-file"))
        for i, tag in enumerate(todo):
            listen(StepStarted(tag, i, len(todo)))
            applied.append(tag)
            listen(StepDone(tag, 0.001, True))
        return ApplyResult(tuple((t, 0.001) for t in todo), "per-file", (), (), False)

    def release(self) -> None:
        pass

    def close(self) -> None:
        pass
