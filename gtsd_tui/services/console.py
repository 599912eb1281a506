"""What the console needs, as blocking calls its workers make: the TUI itself does no I/O."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from gtsd_tui.core.conflicts import Finding, check_database, check_folder
from gtsd_tui.core.folder import Folder
from gtsd_tui.core.hashing import split_chunks
from gtsd_tui.core.lines import LazyLines
from gtsd_tui.core.status import StatusReport, compute_status
from gtsd_tui.errors import GtsdError
from gtsd_tui.services.project import Project

LARGE = 4 << 20


@dataclass
class DbState:
    connected: bool
    url: str
    version: str | None = None
    error: str | None = None
    checked_at: float = field(default_factory=time.monotonic)


@dataclass
class ConsoleState:
    """One refresh: the folder, its status against the database, and check's findings."""

    folder: Folder | None
    report: StatusReport | None  # None when the folder could not be read
    findings: list[Finding]
    db: DbState
    folder_error: str | None = None


@dataclass
class Preview:
    """A migration file for the preview: its lines (not widgets), chunk starts and plan notes."""

    tag: str
    path: str
    lines: Sequence[str]
    chunk_lines: list[int]  # 1-based lines where a chunk starts
    notes: list[str]
    marks: dict[int, str] = field(default_factory=dict)  # line -> lint mark (when lint exists)


class ConsoleBackend:
    def __init__(self, project: Project) -> None:
        self.project = project
        self._collector: Any = None  # stats: its own connection
        self._pool_obj: Any = None  # status reads: a small psycopg_pool
        self._prefetched: Any = None

    def prefetch(self, wait: bool = False) -> None:
        """Do the first refresh before the console starts.

        Measured: run in a thread beside Textual's start-up, the thousands of short system calls
        of a large folder each wait for the GIL behind the main thread (a convoy), so the same work
        took 4x longer than running it first, alone, then starting Textual.
        """
        import concurrent.futures

        future: concurrent.futures.Future[ConsoleState] = concurrent.futures.Future()
        future.set_result(self._refresh())
        self._prefetched = future

    def refresh(self) -> ConsoleState:
        """The folder and its status (fast); ``findings`` fills in check's findings afterwards."""
        pending = self._prefetched
        if pending is not None:
            self._prefetched = None
            result: ConsoleState = pending.result()
            return result
        return self._refresh()

    def _refresh(self) -> ConsoleState:
        url = self.project.masked_url
        try:
            folder = self.project.load_folder(refresh=True)
        except GtsdError as exc:
            return ConsoleState(None, None, [], DbState(False, url, error=None), folder_error=str(exc))
        db, rows = self.db_state()
        return ConsoleState(folder, compute_status(folder, rows or []), [], db)

    def findings(self, state: ConsoleState) -> list[Finding]:
        if state.folder is None or state.report is None:
            return []
        found = check_folder(state.folder)
        if state.db.connected:
            found += check_database(state.report)
        return found

    def db_state(self) -> tuple[DbState, list[Any] | None]:
        """Server version and the tracking table's rows, over one connection."""
        from gtsd_tui.db.history import read_rows

        try:
            with self._pool().connection() as conn:
                version = conn.execute("SHOW server_version").fetchone()
                rows = read_rows(conn, self.project.settings.schema, self.project.settings.table)
            return DbState(True, self.project.masked_url, version=str(version[0]) if version else None), rows
        except GtsdError as exc:
            return DbState(False, self.project.masked_url, error=str(exc)), None
        except Exception as exc:  # pool timeout / connection errors: a state, never a crash
            from gtsd_tui.db.connect import describe_error

            return DbState(False, self.project.masked_url, error=describe_error(self.project.url or "", exc)), None

    def _pool(self) -> Any:
        """The console's own small pool (psycopg_pool); its statistics show in the Connections pane."""
        if self._pool_obj is None:
            from gtsd_tui.db.connect import open_pool

            self._pool_obj = open_pool(self.project.resolve_url())
        return self._pool_obj

    def preview(self, folder: Folder, tag: str, read_only_plan: bool = False) -> Preview:
        m = folder.by_tag(tag)
        if m is None or m.file is None:
            return Preview(tag, "", [f"-- {tag}: file missing"], [], [])
        path = folder.file_path(m)
        raw = path.read_bytes()
        if len(raw) > LARGE:  # lines decoded only when they scroll into view
            mb = len(raw) / 1e6
            return Preview(tag, str(path), LazyLines(raw), [], [f"{mb:.1f} MB: chunk marks and plan notes skipped"])
        text = raw.decode("utf-8", "replace")
        chunks = split_chunks(text)
        from gtsd_tui.core.lint import hand_written_tags, line_marks, lint_text

        found = lint_text(str(path), text, hand_written=m.tag in hand_written_tags(folder))
        notes = self._plan_notes(folder, m, text)
        notes += [
            f"{'✖' if f.severity == 'error' else '!'} {f.line}:{f.column} {f.severity} {f.rule}: {f.message}"
            for f in found[:5]
        ]
        notes += [f"… {len(found) - 5} more lint finding(s)"] if len(found) > 5 else []
        return Preview(tag, str(path), text.split("\n"), [c.line for c in chunks], notes, line_marks(found))

    def file_view(self, state: ConsoleState, tag: str) -> tuple[str, Sequence[str]]:
        """Title and lines for ``enter``: the file, or for a modified one the diff from its applied version."""
        import difflib

        from gtsd_tui.core.hashing import drizzle_hash
        from gtsd_tui.core.status import MODIFIED
        from gtsd_tui.services.gitutil import find_version

        assert state.folder is not None
        preview = self.preview(state.folder, tag)
        item = next((s for s in (state.report.items if state.report else []) if s.migration.tag == tag), None)
        if item is None or item.state != MODIFIED or item.row is None:
            return f"{tag}  ({preview.path})", preview.lines
        found = find_version(state.folder.file_path(item.migration), item.row.hash, drizzle_hash)
        if found is None:
            note = f"-- applied version (hash {item.row.hash[:12]}) not found in git history; current file:"
            return f"{tag}  (modified)", [note, *preview.lines]
        commit, old = found
        diff = difflib.unified_diff(
            old.decode("utf-8", "replace").split("\n"),
            preview.lines,
            f"applied ({commit[:10]})",
            "current file",
            lineterm="",
        )
        return f"{tag}  (modified: applied version from {commit[:10]} vs file)", list(diff)

    def _plan_notes(self, folder: Folder, m: Any, text: str) -> list[str]:
        from gtsd_tui.core.plan import PlanRefused, step_for

        chunks = len(split_chunks(text))
        try:
            step = step_for(folder, m, "per-file")
        except PlanRefused as exc:
            return [f"refused: {exc}"]
        mode = (
            "one transaction with its row"
            if step.transactional
            else "autocommit: " + ", ".join(r for r, _ in step.non_tx)
        )
        return [f"{chunks} chunk(s); {mode}; session advisory lock on {self.project.settings.table_label}"]

    def apply(self, to_tag: str | None, events: Any, canceller: Any) -> Any:
        from gtsd_tui.core.plan import build_plan
        from gtsd_tui.db.runner import RunOptions, run

        folder = self.project.load_folder(refresh=True)

        def make_plan(rows: list[Any]) -> Any:
            return build_plan(folder, compute_status(folder, rows), to_tag=to_tag)

        s = self.project.settings
        return run(self.project.resolve_url(), folder, make_plan, RunOptions(s.schema, s.table), events, canceller)

    def plan_text(self, to_tag: str | None) -> str:
        """The plan the confirm dialog shows, from the current rows (read-only)."""
        from gtsd_tui.core.plan import build_plan

        folder = self.project.load_folder()
        plan = build_plan(folder, compute_status(folder, self.project.read_rows()), to_tag=to_tag, read=False)
        notes = [f"! {w}" for w in plan.warnings]  # e.g. the v0 table upgrade drizzle-orm 1.0 makes first
        if not plan.steps:
            return "\n".join([*notes, "nothing to apply"])
        lines = [*notes, f"apply {len(plan.steps)} migration(s), each in its own transaction with its row:"]
        lines += [f"  • {s.migration.tag}" for s in plan.steps]
        return "\n".join(lines)

    def stats(self, indexes: bool = False) -> Any:
        """One poll of live statistics (the collector keeps its own connection between polls)."""
        from gtsd_tui.db.stats import StatsCollector

        if self._collector is None:
            self._collector = StatsCollector(self.project.resolve_url())
        stats = self._collector.poll(indexes=indexes)
        pool = self._pool_obj
        if pool is not None:
            raw = pool.get_stats()
            keys = ("pool_size", "pool_available", "pool_max", "requests_waiting", "requests_num", "connections_errors")
            stats.pool = {k: int(raw.get(k, 0)) for k in keys}
        return stats

    def close(self) -> None:
        collector = self._collector
        if collector is not None:
            collector.close()
        pool = self._pool_obj
        if pool is not None:
            pool.close()

    def reset_target(self) -> tuple[str, bool]:
        """(database name, is it on a local server) for the reset dialog; decided from the URL alone."""
        from gtsd_tui.config import is_local_host, parse_target

        t = parse_target(self.project.resolve_url())
        return t.dbname, is_local_host(t.host)

    def reset(self) -> dict[str, float]:
        from gtsd_tui.services.reset import reset_database

        self.close()  # our own pool and stats connection would keep the database busy
        self._pool_obj = None
        self._collector = None
        return reset_database(self.project, self.project.resolve_url(), None)

    def renumber_plan(self) -> Any:
        from gtsd_tui.services.folder_ops import prepare_renumber

        return prepare_renumber(self.project)

    def renumber_forks(self) -> Any:
        """The branches the renumber merges (for the plan's "independent" / overlap lines)."""
        from gtsd_tui.core.schema_findings import forks

        return forks(self.project.load_folder())

    def apply_renumber(self, plan: Any) -> None:
        from gtsd_tui.services.folder_ops import apply_renumber

        apply_renumber(self.project, plan)


def new_canceller() -> Any:
    from gtsd_tui.db.runner import Canceller

    return Canceller()
