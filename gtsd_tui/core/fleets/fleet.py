"""Records of ``envs`` and ``fleet``: one database's status, one database's migrate, and the
differences between databases (pure: made by ``services/fleet.py``, shown by the CLI and the console).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gtsd_tui.core.fleets.rollout import DONE, FAILED, HALTED, NOT_STARTED
from gtsd_tui.core.migrations.status import APPLIED, MODIFIED, PROBLEM_STATES, STATES, StatusReport


@dataclass(frozen=True)
class TargetStatus:
    """What one database holds, read-only. Unreachable is a state (``reachable`` False, ``error``
    the one-line reason, password masked), never an exception; then ``report`` is None."""

    name: str
    url: str  # masked
    source: str
    reachable: bool
    error: str | None = None
    server_version: str | None = None  # e.g. "18.1"
    report: StatusReport | None = None  # compute_status of the folder against this database's rows
    seconds: float = 0.0

    @property
    def states(self) -> dict[str, str]:
        """Tag -> state (``applied``, ``pending``, ...; the ``status`` states), in the folder's order."""
        return {s.migration.tag: s.state for s in self.report.items} if self.report else {}

    @property
    def counts(self) -> dict[str, int]:
        """Every ``status`` state with its number of migrations (0 included), plus ``unknown_rows``."""
        out: dict[str, int] = dict.fromkeys(STATES, 0)
        if self.report:
            for s in self.report.items:
                out[s.state] += 1
            out["unknown_rows"] = len(self.report.unknown_rows)
        else:
            out["unknown_rows"] = 0
        return out

    @property
    def newest_applied(self) -> str | None:
        """The tag of the applied (or modified) migration with the newest row ``created_at``."""
        if not self.report:
            return None
        done = [s for s in self.report.items if s.state in (APPLIED, MODIFIED) and s.row is not None]
        if not done:
            return None
        return max(done, key=lambda s: (s.row.created_at or 0, s.row.id) if s.row else (0, 0)).migration.tag

    @property
    def problems(self) -> bool:
        """Unreachable, or a migration modified / out-of-order / missing / not in the journal, or an unknown row."""
        if not self.reachable or self.report is None:
            return True
        return bool(self.report.in_state(*PROBLEM_STATES) or self.report.unknown_rows)

    def as_json(self) -> dict[str, Any]:
        r = self.report
        return {
            "name": self.name,
            "url": self.url,
            "source": self.source,
            "reachable": self.reachable,
            "error": self.error,
            "server_version": self.server_version,
            "newest_applied": self.newest_applied,
            "counts": self.counts if r else None,
            "migrations": [
                {
                    "tag": s.migration.tag,
                    "state": s.state,
                    "restamped": s.restamped,
                    "created_at": s.row.created_at if s.row else None,
                }
                for s in r.items
            ]
            if r
            else [],
            "unknown_rows": [{"id": u.id, "hash": u.hash, "created_at": u.created_at} for u in r.unknown_rows]
            if r
            else [],
            "warnings": list(r.warnings) if r else [],
            "seconds": round(self.seconds, 4),
        }


@dataclass(frozen=True)
class TargetResult:
    """One database's ``fleet migrate``: what it applied, and its failure (None when it succeeded).

    ``failure`` is an ``services.apply.ApplyFailure`` (its ``as_json()`` has file/line/column/sqlstate);
    ``started`` is False for a target never run (``--fail-fast`` after another's failure).
    ``rollout_state`` (``core.rollout``): set when it is not plain done / failed / never started:
    ``halted`` (stopped after its current migration by the policy), ``interrupted`` (Ctrl-C, SIGTERM),
    ``done`` with ``earlier`` (done before a resumed rollout, not run again).
    """

    name: str
    url: str  # masked
    source: str
    applied: tuple[tuple[str, float], ...] = ()
    failure: Any = None  # ApplyFailure | None (a services type; core stays free of it)
    error: str | None = None  # the failure's one-line message, password scrubbed
    seconds: float = 0.0
    started: bool = True
    warnings: tuple[str, ...] = ()
    rollout_state: str | None = None
    wave: int | None = None  # 1-based, in a staged rollout
    earlier: bool = False
    # migrations of the run a later migration's own ROLLBACK undid, each with its state now (as migrate's)
    rolled_back: tuple[tuple[str, str], ...] = ()

    @property
    def state(self) -> str:
        if self.rollout_state:
            return self.rollout_state
        if not self.started:
            return NOT_STARTED
        return DONE if self.failure is None else FAILED

    @property
    def ok(self) -> bool:
        return self.state == DONE

    @property
    def exit_code(self) -> int:
        if self.ok:
            return 0
        return int(self.failure.exit_code) if self.failure is not None else 1

    def as_json(self) -> dict[str, Any]:
        failed = self.failure
        return {
            "name": self.name,
            "url": self.url,
            "source": self.source,
            "ok": self.ok,
            "started": self.started,
            "state": self.state,
            "wave": self.wave,
            "earlier": self.earlier,
            "applied": [{"tag": t, "seconds": round(s, 4)} for t, s in self.applied],
            "failed_migration": failed.tag if failed is not None else None,
            "error": None
            if failed is None
            else {"summary": self.error, "exit_code": failed.exit_code, **failed.as_json()},
            "halted": self.error if self.state == HALTED else None,  # why it stopped where it did
            "rolled_back": [{"tag": t, "state": state} for t, state in self.rolled_back],
            "warnings": list(self.warnings),
            "seconds": round(self.seconds, 4),
        }


@dataclass
class Differences:
    """How reachable databases differ, each difference one sentence."""

    lines: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.lines)


def differences(statuses: list[TargetStatus]) -> Differences:
    """ "staging has 0012_x that production lacks", "production has a row no file explains (id 7)",
    "production: 0003_y was edited after it was applied"; unreachable databases are left out."""
    seen = [t for t in statuses if t.reachable and t.report is not None]
    out = Differences()
    applied = {t.name: {tag for tag, st in t.states.items() if st in (APPLIED, MODIFIED)} for t in seen}
    tags = [s.migration.tag for s in seen[0].report.items] if seen and seen[0].report else []
    for tag in tags:
        have = [t.name for t in seen if tag in applied[t.name]]
        lack = [t.name for t in seen if tag not in applied[t.name]]
        if have and lack:
            verb = "has" if len(have) == 1 else "have"
            lacks = "lacks" if len(lack) == 1 else "lack"
            out.lines.append(f"{_names(have)} {verb} {tag} that {_names(lack)} {lacks}")
    for t in seen:
        assert t.report is not None
        for s in t.report.items:
            if s.state in PROBLEM_STATES:
                out.lines.append(f"{t.name}: {s.migration.tag} is {s.label}")
        for row in t.report.unknown_rows:
            out.lines.append(f"{t.name} has a row no file explains (id {row.id}, created_at {row.created_at})")
    return out


def _names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
