"""The data preflight use case: what the pending migrations will do to the rows already there.

Shared by ``gtsd-tui preflight``, ``migrate`` (run before the first statement), ``rehearse --json``
and ``fleet migrate --preflight``. Not the folder refusals of :mod:`gtsd_tui.core.preflight` (which
need no database): this reads the target's rows, read-only (:mod:`gtsd_tui.db.data_probe`), for the
checks :mod:`gtsd_tui.core.data_checks` derives from the pending statements' parse trees.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gtsd_tui.errors import EXIT_OK, EXIT_PROBLEMS
from gtsd_tui.services.project import Project

if TYPE_CHECKING:
    from gtsd_tui.core.data_checks import Check
    from gtsd_tui.db.data_probe import Outcome
    from gtsd_tui.services.apply import ApplyRequest

DEFAULT_TIMEOUT = "5s"
TIMEOUT_KEY = "GTSD_PREFLIGHT_TIMEOUT"


def timeout_setting(project: Project, flag: str | None) -> float:
    """The per-query statement_timeout: the flag, else ``GTSD_PREFLIGHT_TIMEOUT`` (environment or
    ``.env``), else 5s; a bad value is an input error (exit 2) naming where it came from."""
    from gtsd_tui.core.durations import parse_duration

    if flag is not None:
        return parse_duration(flag, "--preflight-timeout")
    given = project.settings.apply_defaults.get(TIMEOUT_KEY)
    if given:
        return parse_duration(given[0], f"{TIMEOUT_KEY} ({given[1]})")
    env = os.environ.get(TIMEOUT_KEY)
    if env:
        return parse_duration(env, TIMEOUT_KEY)
    return parse_duration(DEFAULT_TIMEOUT)


@dataclass(frozen=True)
class Finding:
    check: Check
    outcome: Outcome

    @property
    def status(self) -> str:
        return self.outcome.status

    def as_json(self) -> dict[str, Any]:
        c, o = self.check, self.outcome
        p = c.place
        return {
            "tag": p.tag,
            "file": p.file,
            "line": p.line,
            "column": p.column,
            "statement": p.statement,
            "kind": c.kind,
            "severity": c.severity,
            "status": o.status,
            "object": c.object,
            "table": c.table.label,
            "what": c.what,
            "count": o.count,
            "groups": o.groups,
            "estimated": o.estimated,
            "key_columns": o.key_columns,
            "sample_keys": o.sample,
            "query": o.query,
            "sample_query": o.sample_query,
            "note": o.note,
        }

    def line(self) -> str:
        """One line: where, what, how many, which keys."""
        c, o = self.check, self.outcome
        head = f"{c.place.where}: {c.place.tag}: "
        if o.status == "ok":
            return head + f"ok: {c.what}: none"
        if o.status == "unchecked":
            return head + f"not checked: {c.what}: {o.note}"
        if o.status == "fails" and o.count is None:
            return head + f"fails: {c.what}: {o.note}"
        n = "an unknown number of" if o.count is None else (f"~{o.count}" if o.estimated else str(o.count))
        label = {"fails": "fails", "loses": "loses data", "estimate": "estimate"}[o.status]
        groups = f" in {o.groups} group(s)" if o.groups is not None else ""
        keys = ""
        if o.sample:
            shown = ", ".join("(" + ", ".join(r) + ")" if len(r) > 1 else r[0] for r in o.sample)
            keys = f"; {'/'.join(o.key_columns)} {shown}"
        note = f" ({o.note})" if o.note and o.status != "fails" else ""
        return head + f"{label}: {n} row(s){groups}: {c.what}{keys}{note}"


@dataclass(frozen=True)
class DataPreflight:
    tags: tuple[str, ...]  # the pending migrations checked
    findings: tuple[Finding, ...]

    @property
    def failing(self) -> list[Finding]:
        return [f for f in self.findings if f.status == "fails"]

    @property
    def exit_code(self) -> int:
        return EXIT_PROBLEMS if self.failing else EXIT_OK

    def as_json(self) -> dict[str, Any]:
        return {
            "migrations": list(self.tags),
            "ok": not self.failing,
            "findings": [f.as_json() for f in self.findings],
            "exit_code": self.exit_code,
        }

    def refusal(self) -> str:
        """The one line ``migrate`` refuses with."""
        first = self.failing[0]
        more = f" (and {len(self.failing) - 1} more)" if len(self.failing) > 1 else ""
        c = first.check
        n = "some" if first.outcome.count is None else str(first.outcome.count)
        return (
            f"{c.place.where}: {c.place.tag} would fail on existing data: {n} row(s): {c.what}{more}; "
            "nothing applied (gtsd-tui preflight lists them; --no-preflight skips this check)"
        )


def checks_for(project: Project, request: ApplyRequest) -> tuple[tuple[str, ...], list[Check]]:
    """The pending migrations (as ``migrate`` would plan them now) and their data checks."""
    from gtsd_tui.core.data_rules import pending_checks
    from gtsd_tui.services.apply import plan_only

    plan = plan_only(project, request)
    return tuple(s.migration.tag for s in plan.steps), pending_checks(plan.steps, project.folder_path)


def run_preflight(
    project: Project,
    request: ApplyRequest,
    timeout: float,
    *,
    url: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> DataPreflight:
    """Plan (the folder's and plan's refusals come first), derive the checks, run them read-only."""
    from gtsd_tui.db.data_probe import probe

    tags, checks = checks_for(project, request)
    outcomes = probe(url or project.resolve_url(), checks, timeout, progress) if checks else []
    return DataPreflight(tags, tuple(Finding(c, o) for c, o in zip(checks, outcomes, strict=True)))
