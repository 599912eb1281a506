"""Staged rollouts of ``fleet migrate`` (pure): the waves, the halt policy, and the rollout record's fold.

A rollout is a list of targets in file order cut into waves: an optional canary (the first N targets
alone), then cumulative shares (``10%,50%,100%``). A wave starts only when the one before ended
within the policy. The policy halts the rollout (no new target starts; running ones stop after
their current migration) when ``max_failures`` targets have failed, or when more than
``max_rate`` of the targets of the waves begun so far have failed; any failure in the canary halts.

The rollout record is a log of JSON objects, one per line (``services/rollout_record.py`` writes it);
:func:`fold` turns its lines into each target's state.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

from gtsd_tui.errors import InputError

RECORD_VERSION = 1

# a target's state in a rollout
DONE = "done"
FAILED = "failed"
HALTED = "halted"  # was running when the policy halted: stopped after its current migration
INTERRUPTED = "interrupted"  # was running at Ctrl-C / SIGTERM, or the process died (a start without an end)
RUNNING = "running"  # a start without an end, and the rollout's process still holds the record
NOT_STARTED = "not_started"
STATES = (DONE, FAILED, HALTED, INTERRUPTED, RUNNING, NOT_STARTED)
LABELS = {
    DONE: "done",
    FAILED: "failed",
    HALTED: "halted by policy",
    INTERRUPTED: "running when interrupted",
    RUNNING: "running",
    NOT_STARTED: "never started",
}

# how a rollout ended
COMPLETED = "completed"
HALTED_OUTCOME = "halted"
INTERRUPTED_OUTCOME = "interrupted"


def parse_waves(text: str) -> tuple[float, ...]:
    """``10%,50%,100%`` -> (0.1, 0.5, 1.0): cumulative shares, increasing, the last 100%."""
    shares: list[float] = []
    for part in text.split(","):
        p = part.strip()
        try:
            value = float(p.removesuffix("%"))
        except ValueError:
            raise InputError(f"--waves {text}: {p!r} is not a percentage (e.g. 10%,50%,100%)") from None
        if not p.endswith("%"):
            raise InputError(f"--waves {text}: {p!r} needs a % sign (cumulative shares, e.g. 10%,50%,100%)")
        if not 0 < value <= 100 or not math.isfinite(value):
            raise InputError(f"--waves {text}: {p} is not in (0%, 100%]")
        if shares and value / 100 <= shares[-1]:
            raise InputError(f"--waves {text}: shares are cumulative and must increase ({p} after {shares[-1]:.0%})")
        shares.append(value / 100)
    if shares[-1] != 1.0:
        raise InputError(f"--waves {text}: the last wave must be 100% (every target)")
    return tuple(shares)


def parse_rate(text: str) -> float:
    """``--max-failure-rate``: ``10%`` -> 0.1 (a share of the targets of the waves begun so far)."""
    try:
        value = float(text.strip().removesuffix("%"))
    except ValueError:
        raise InputError(f"--max-failure-rate {text}: expected a percentage such as 10%") from None
    if not 0 <= value < 100 or not math.isfinite(value):
        raise InputError(f"--max-failure-rate {text}: expected 0% to 99%")
    return value / 100


@dataclass(frozen=True)
class Policy:
    """When a rollout halts. None: no limit of that kind."""

    max_failures: int | None = None
    max_rate: float | None = None

    def breached(self, failed: int, begun: int) -> str | None:
        """The reason to halt after ``failed`` failures among the ``begun`` targets of the waves begun so
        far, or None to go on."""
        if self.max_failures is not None and failed >= self.max_failures:
            return f"{failed} target(s) failed (--max-failures {self.max_failures})"
        if self.max_rate is not None and begun and failed > self.max_rate * begun:
            return (
                f"{failed} of {begun} target(s) of the waves begun failed, "
                f"more than {self.max_rate:.0%} (--max-failure-rate)"
            )
        return None


@dataclass(frozen=True)
class RolloutPlan:
    """How the targets are staged: ``canary`` targets alone first, then the cumulative ``shares``."""

    canary: int = 0
    shares: tuple[float, ...] = (1.0,)
    policy: Policy = field(default_factory=Policy)

    @property
    def staged(self) -> bool:
        return bool(self.canary) or self.shares != (1.0,)

    def waves(self, n: int) -> list[range]:
        """The targets' indexes of each non-empty wave, in order: the canary, then each share's
        ``ceil(share × n)`` cumulative count."""
        out: list[range] = []
        start = min(self.canary, n)
        if start:
            out.append(range(0, start))
        for share in self.shares:
            end = max(start, min(n, math.ceil(round(share * n, 9))))
            if end > start:
                out.append(range(start, end))
                start = end
        return out

    def as_json(self) -> dict[str, Any]:
        return {
            "canary": self.canary,
            "waves": [round(s * 100, 6) for s in self.shares],
            "max_failures": self.policy.max_failures,
            "max_failure_rate": None if self.policy.max_rate is None else round(self.policy.max_rate * 100, 6),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RolloutPlan:
        rate = data.get("max_failure_rate")
        return cls(
            int(data.get("canary") or 0),
            tuple(float(s) / 100 for s in data.get("waves") or [100]),
            Policy(data.get("max_failures"), None if rate is None else float(rate) / 100),
        )


def make_plan(
    canary: int | None, waves: str | None, max_failures: int | None, max_rate: str | None, *, fail_fast: bool = False
) -> RolloutPlan:
    """The plan from ``fleet migrate``'s options. Staged (a canary or waves) without a limit halts at
    the first failure; unstaged without a limit never halts (``--fail-fast``: at the first failure)."""
    if canary is not None and canary < 1:
        raise InputError(f"--canary {canary}: expected 1 or more targets")
    if max_failures is not None and max_failures < 1:
        raise InputError(f"--max-failures {max_failures}: expected 1 or more")
    shares = parse_waves(waves) if waves else (1.0,)
    rate = parse_rate(max_rate) if max_rate is not None else None
    if fail_fast:
        max_failures = 1 if max_failures is None else min(max_failures, 1)
    plan = RolloutPlan(canary or 0, shares, Policy(max_failures, rate))
    if plan.staged and max_failures is None and rate is None:
        plan = RolloutPlan(plan.canary, shares, Policy(1, None))
    return plan


# ---- the record's fold -------------------------------------------------------------------------


@dataclass
class TargetState:
    """One target in a rollout record."""

    name: str
    state: str = NOT_STARTED
    wave: int | None = None
    applied: list[str] = field(default_factory=list)  # every migration it applied in this rollout
    error: dict[str, Any] | None = None  # {summary, file, line, column, sqlstate, tag} of a failure
    at: str | None = None  # when its last event was written

    @property
    def label(self) -> str:
        return LABELS[self.state]

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "state": self.state,
            "wave": self.wave,
            "applied": list(self.applied),
            "error": self.error,
            "at": self.at,
        }


@dataclass
class RolloutState:
    """A rollout as its record tells it: the header (targets, plan, source), each target's state, and
    how it ended (``outcome`` None: no end written, the process is running or died)."""

    header: dict[str, Any]
    targets: dict[str, TargetState]
    outcome: str | None = None
    reason: str | None = None
    resumes: int = 0
    path: str = ""

    @property
    def id(self) -> str:
        return str(self.header.get("id", ""))

    @property
    def plan(self) -> RolloutPlan:
        return RolloutPlan.from_json(self.header.get("plan") or {})

    @property
    def names(self) -> list[str]:
        return list(self.targets)

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(STATES, 0)
        for t in self.targets.values():
            out[t.state] += 1
        return out

    def summary(self) -> str:
        c = self.counts()
        parts = [f"{c[s]} {LABELS[s]}" for s in STATES if c[s]]
        how = self.outcome or ("running" if c[RUNNING] else "interrupted (no end written: the process was killed)")
        why = f": {self.reason}" if self.reason else ""
        return f"rollout {self.id} {how}{why}; " + ", ".join(parts)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "record": self.path,
            "started_at": self.header.get("at"),
            "plan": self.header.get("plan"),
            "outcome": self.outcome,
            "reason": self.reason,
            "resumes": self.resumes,
            "counts": self.counts(),
            "targets": [t.as_json() for t in self.targets.values()],
        }


def fold(text: str, path: str, *, live: bool = False) -> RolloutState | None:
    """The last rollout of a record's text (None when it holds none). ``live``: the rollout's process
    still holds the record, so a start without an end is ``running``, else ``interrupted``.

    A line cut short (the process killed while writing it: no closing brace) is skipped; any other
    line that is not a JSON object is an InputError naming ``path:line``."""
    lines = text.split("\n")
    state: RolloutState | None = None
    for no, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            event = json.loads(line)
            if not isinstance(event, dict):
                raise ValueError("not an object")
        except ValueError:
            if not line.rstrip().endswith("}"):  # a write cut short
                continue
            raise InputError(f"{path}:{no}: not a rollout record line (JSON object expected)") from None
        kind = event.get("event")
        if kind == "rollout":
            if event.get("version", RECORD_VERSION) > RECORD_VERSION:
                raise InputError(f"{path}:{no}: record version {event.get('version')} is newer than this gtsd-tui")
            names = [str(t["name"]) for t in event.get("targets") or []]
            state = RolloutState(event, {n: TargetState(n) for n in names}, path=path)
        elif state is None:
            continue  # the tail of a record whose header was lost: nothing to fold onto
        elif kind == "resume":
            state.resumes += 1
            state.outcome = state.reason = None
            for t in state.targets.values():
                if t.state == RUNNING:
                    t.state = INTERRUPTED
        elif kind in ("start", "end") and event.get("target") in state.targets:
            t = state.targets[event["target"]]
            t.at = event.get("at")
            t.wave = event.get("wave", t.wave)
            if kind == "start":
                t.state, t.error = RUNNING, None
            else:
                t.state = event.get("state", FAILED)
                t.applied += [a for a in event.get("applied") or [] if a not in t.applied]
                t.error = event.get("error")
        elif kind == "finish":
            state.outcome, state.reason = event.get("outcome"), event.get("reason")
    if state is not None and not live:
        for t in state.targets.values():
            if t.state == RUNNING:
                t.state = INTERRUPTED
    return state


def merge(states: list[RolloutState]) -> dict[str, TargetState]:
    """Several records' targets as one (CI matrix jobs, one record each): per target, the state with
    the newest event; a target no record started stays as its first record has it."""
    out: dict[str, TargetState] = {}
    for st in states:
        for name, t in st.targets.items():
            old = out.get(name)
            if old is None or (t.at or "") > (old.at or ""):
                out[name] = t
    return out
