"""The console's Environments view: every environment of the project (``envs``), as one matrix of the
folder's migrations × environments, and an apply to one of them through the one apply service.

The records come from ``services/fleet.py`` (the same discovery and status as ``gtsd-tui envs``); this
module only shapes them for the console and names the console's own environment.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gtsd_tui.core.migrations.status import PENDING, MigrationStatus, StatusReport

if TYPE_CHECKING:
    from gtsd_tui.db.runner import Canceller
    from gtsd_tui.services.apply import ApplyResult, Listener
    from gtsd_tui.services.project import Project


@dataclass(frozen=True)
class EnvColumn:
    """One environment: unreachable is a state (``error`` is the one-line reason, password masked)."""

    name: str
    url: str  # masked
    source: str  # ".env.staging", ...
    current: bool  # the database the console itself is connected to
    reachable: bool
    error: str | None = None
    server_version: str | None = None
    report: StatusReport | None = None

    def item(self, tag: str) -> MigrationStatus | None:
        if self.report is None:
            return None
        return next((s for s in self.report.items if s.migration.tag == tag), None)

    def pending_up_to(self, tag: str | None) -> list[str]:
        """The pending migrations an apply up to ``tag`` (None: all) would run, in order."""
        if self.report is None:
            return []
        out: list[str] = []
        for s in self.report.items:
            if s.state == PENDING:
                out.append(s.migration.tag)
            if s.migration.tag == tag:
                break
        return out

    def summary(self) -> str:
        if not self.reachable or self.report is None:
            return f"✗ unreachable: {self.error or 'no reason given'}"
        counts: dict[str, int] = {}
        for s in self.report.items:
            counts[s.state] = counts.get(s.state, 0) + 1
        parts = [f"{n} {state}" for state, n in counts.items()]
        if self.report.unknown_rows:
            parts.append(f"{len(self.report.unknown_rows)} row(s) no file explains")
        return ", ".join(parts) or "no migrations"


@dataclass(frozen=True)
class Environments:
    """One refresh of the view: the folder's tags in order, the environments, their differences."""

    tags: tuple[str, ...]
    envs: tuple[EnvColumn, ...]
    differences: tuple[str, ...] = ()
    error: str | None = None  # the folder (or the environments) could not be read: nothing else is set
    seconds: float = 0.0

    def env(self, name: str) -> EnvColumn | None:
        return next((e for e in self.envs if e.name == name), None)

    @property
    def unknown_hashes(self) -> tuple[str, ...]:
        """Hashes of rows no migration of the folder explains, in any environment (each once)."""
        seen: dict[str, None] = {}
        for e in self.envs:
            for r in e.report.unknown_rows if e.report else []:
                seen.setdefault(r.hash, None)
        return tuple(seen)


def load_environments(project: Project) -> Environments:
    """Every environment (``services.fleet.envs_overview``: ``.env`` and each ``.env.NAME``, checked in
    parallel, read-only, each with a connect timeout), shaped as the matrix."""
    from gtsd_tui.errors import GtsdError
    from gtsd_tui.services.fleet import envs_overview

    t0 = time.perf_counter()
    try:
        overview = envs_overview(project, environ=os.environ)
    except GtsdError as exc:  # a malformed .env.NAME, an unreadable folder: the view says it, nothing runs
        return Environments((), (), error=str(exc), seconds=time.perf_counter() - t0)
    current = _current_key(project)
    envs = tuple(
        EnvColumn(
            s.name,
            s.url,
            s.source,
            current is not None and _server_key(s.url) == current,
            s.reachable,
            s.error,
            s.server_version,
            s.report,
        )
        for s in overview.statuses
    )
    tags = tuple(m.tag for m in overview.folder.migrations)
    return Environments(tags, envs, tuple(overview.differences.lines), seconds=time.perf_counter() - t0)


def _current_key(project: Project) -> tuple[str, str, str] | None:
    """(host, port, dbname) of the console's own database (None before it resolved one)."""
    return _server_key(project.url) if project.url else None


def _server_key(url: str) -> tuple[str, str, str] | None:
    """The same database however the URL spells it (a masked URL names the same one)."""
    from gtsd_tui.core.fleets.targets import Target
    from gtsd_tui.errors import GtsdError

    try:
        return Target("", url, "").server_key()
    except (GtsdError, ValueError):
        return None


def apply_to_environment(
    project: Project, name: str, to_tag: str | None, listen: Listener, canceller: Canceller
) -> ApplyResult:
    """Apply the folder to environment ``name`` (its URL from the same discovery) through the one apply
    service: the lock, per-file transactions, PgBouncer detection and the rows are ``migrate``'s."""
    from gtsd_tui.errors import InputError
    from gtsd_tui.services.apply import ApplyRequest, apply
    from gtsd_tui.services.project import Project as ProjectType
    from gtsd_tui.services.targets import discover_envs

    found = discover_envs(project.settings, (name,), os.environ)  # InputError when .env.NAME is gone
    if not found:
        raise InputError(f"no environment named {name!r}")
    target = found[0]
    settings = project.settings.replaced(
        database_url=target.url,
        database_source=target.source,
        schema=target.schema,
        table=target.table,
    )
    there = ProjectType(settings, notify=project.notify)
    return apply(there, ApplyRequest(to_tag=to_tag), listen, canceller)
