"""``fleet migrate``'s one apply of a folder to many targets: waves, the halt policy, the record.

Targets run in a pool of ``jobs`` worker threads, one connection each, through ``services.fleet.
migrate_one`` (``migrate``'s own apply: its lock per database and its idempotence). The targets are
cut into waves (``core.fleets.rollout.RolloutPlan``; unstaged: one wave of every target); a wave starts
when every target of the one before has ended and the policy has not halted. A halt starts no new
target and stops the running ones after their current migration (``halted``). ``FleetCancel.cancel``
(Ctrl-C, SIGTERM) cancels the running statements (``interrupted``) and starts nothing more.

The record (``services.rollout_record``), when given, gets a ``rollout`` (or ``resume``) header,
``wave``, a ``start`` before each target and an ``end`` after it, ``halt`` and ``finish``, each
fsync'd before the work it announces goes on. Listeners are called from worker threads.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

from gtsd_tui import __version__
from gtsd_tui.config import Settings, mask_url
from gtsd_tui.core.fleets.fleet import TargetResult
from gtsd_tui.core.fleets.rollout import (
    COMPLETED,
    DONE,
    HALTED_OUTCOME,
    INTERRUPTED,
    INTERRUPTED_OUTCOME,
    RECORD_VERSION,
    RolloutPlan,
)
from gtsd_tui.core.fleets.targets import Target
from gtsd_tui.services.apply import ApplyRequest, new_canceller
from gtsd_tui.services.fleet import (
    FleetCancel,
    FleetListener,
    RolloutHalted,
    TargetFinished,
    TargetStarted,
    WaveStarted,
    default_jobs,
    migrate_one,
)
from gtsd_tui.services.rollout_record import RecordWriter


@dataclass(frozen=True)
class Rollout:
    """How a rollout went: one result per target in the targets' order, and why it stopped."""

    results: list[TargetResult]
    outcome: str  # completed | halted | interrupted
    reason: str  # one line: what stopped it, or how it completed
    waves: int  # the number of waves of the plan
    waves_run: int  # the waves that started in this run

    @property
    def exit_code(self) -> int:
        """The largest exit code of a failed target; an interrupted target counts 3 (as ``migrate``'s
        Ctrl-C of a running statement, whether or not one was running); a halt without a failure: 3; a
        target where a migration's own ROLLBACK undid earlier ones of the run: 1, as ``migrate``."""
        failed = [r.exit_code for r in self.results if r.failure is not None and r.state != INTERRUPTED]
        code = max(failed, default=0)
        if any(r.rolled_back for r in self.results):
            code = max(code, 1)
        if self.outcome != COMPLETED or any(r.state == INTERRUPTED for r in self.results):
            code = max(code, 3)
        return code


def header(
    targets: Sequence[Target],
    plan: RolloutPlan,
    source: dict[str, Any],
    request: ApplyRequest,
    migrations_dir: str,
    rollout_id: str,
) -> dict[str, Any]:
    """The record's ``rollout`` line: what a resume needs, masked (never a password)."""
    return {
        "event": "rollout",
        "version": RECORD_VERSION,
        "id": rollout_id,
        "pid": os.getpid(),
        "tool_version": __version__,
        "migrations_dir": migrations_dir,
        "source": source,
        "plan": plan.as_json(),
        "request": {"to": request.to_tag, "tx": request.tx_mode},
        "targets": [{"name": t.name, "url": mask_url(t.url)} for t in targets],
    }


def run_rollout(
    settings: Settings,
    targets: Sequence[Target],
    request: ApplyRequest,
    plan: RolloutPlan,
    *,
    jobs: int | None = None,
    listen: FleetListener | None = None,
    cancel: FleetCancel | None = None,
    record: RecordWriter | None = None,
    done_before: frozenset[str] = frozenset(),
) -> Rollout:
    """Apply the folder to ``targets`` wave by wave (see the module). ``done_before``: targets a resumed
    rollout finished earlier: not run again, reported ``done`` with ``earlier``. The record's header
    (or resume line) is the caller's; this writes the rest. Call ``prepare_migrate`` first."""
    emit = listen or (lambda e: None)
    stop = cancel or FleetCancel()
    waves = plan.waves(len(targets))
    results: dict[int, TargetResult] = {}
    lock = threading.Lock()
    tally = {"failed": 0, "begun": 0}
    halt: list[str] = []  # the reason, once halted

    def write(event: dict[str, Any]) -> bool:
        """The event in the record; a record that cannot be written halts the rollout (False)."""
        if record is None:
            return True
        try:
            record.write(event)
            return True
        except OSError as exc:
            with lock:
                first = not halt
                if first:
                    halt.append(f"the rollout record {record.path} cannot be written ({exc.strerror or exc})")
            if first:
                stop.halt()
                emit(RolloutHalted(halt[0]))
            return False

    def one(i: int, wave: int, canary: bool) -> None:
        target = targets[i]
        canceller = new_canceller()
        with lock:
            halted = bool(halt)
        if halted or not stop._attach(target.name, canceller):
            results[i] = TargetResult(target.name, mask_url(target.url), target.source, started=False, wave=wave)
            return
        if not write({"event": "start", "target": target.name, "wave": wave}):  # unrecorded: not started
            stop._detach(target.name)
            results[i] = TargetResult(target.name, mask_url(target.url), target.source, started=False, wave=wave)
            return
        try:
            emit(TargetStarted(target.name))
            res = migrate_one(settings, target, request, emit, canceller)
        finally:
            stop._detach(target.name)
        if canceller.cancelled and not res.ok:
            res = replace(res, rollout_state=INTERRUPTED)
        res = replace(res, wave=wave)
        results[i] = res
        write(_end_event(res))
        newly = None
        with lock:
            if res.failure is not None and res.state != INTERRUPTED and not stop.requested:
                tally["failed"] += 1
                if canary:
                    newly = f"the canary {target.name} failed" if not halt else None
                else:
                    newly = plan.policy.breached(tally["failed"], tally["begun"]) if not halt else None
                if newly:
                    halt.append(f"{newly} in wave {wave} of {len(waves)}")
        if newly:
            stop.halt()  # first: once the record says halted, every running target is stopping
            write({"event": "halt", "reason": halt[0]})
            emit(RolloutHalted(halt[0]))
        emit(TargetFinished(res))

    waves_run = 0
    n_workers = max(1, min(jobs or default_jobs(), max((len(w) for w in waves), default=1)))
    with ThreadPoolExecutor(max_workers=n_workers, thread_name_prefix="gtsd-fleet") as pool:
        for w, indexes in enumerate(waves, start=1):
            tally["begun"] += len(indexes)
            todo = [i for i in indexes if targets[i].name not in done_before]
            for i in indexes:
                if targets[i].name in done_before:
                    t = targets[i]
                    results[i] = TargetResult(
                        t.name, mask_url(t.url), t.source, started=False, rollout_state=DONE, wave=w, earlier=True
                    )
                    emit(TargetFinished(results[i]))  # the progress counts it done
            if halt or stop.requested:
                for i in todo:
                    t = targets[i]
                    results[i] = TargetResult(t.name, mask_url(t.url), t.source, started=False, wave=w)
                continue
            if not todo:
                continue
            canary = plan.canary > 0 and w == 1
            names = tuple(targets[i].name for i in todo)
            write({"event": "wave", "wave": w, "of": len(waves), "canary": canary, "targets": list(names)})
            emit(WaveStarted(w, len(waves), names, canary))
            waves_run += 1
            list(pool.map(lambda i: one(i, w, canary), todo))  # noqa: B023 (run before w changes)
    ordered = [results[i] for i in range(len(targets))]
    if stop.requested:
        outcome = INTERRUPTED_OUTCOME
        reason = "interrupted (Ctrl-C or SIGTERM): running migrations rolled back, no new target started"
    elif halt:
        outcome, reason = HALTED_OUTCOME, halt[0]
    else:
        outcome = COMPLETED
        failed = sum(1 for r in ordered if r.failure is not None)
        reason = f"every wave ran ({len(waves)})" + (f"; {failed} target(s) failed" if failed else "")
    write({"event": "finish", "outcome": outcome, "reason": reason})
    return Rollout(ordered, outcome, reason, len(waves), waves_run)


def _end_event(res: TargetResult) -> dict[str, Any]:
    f = res.failure
    error = None
    if f is not None:
        error = {
            "summary": res.error,
            "exit_code": f.exit_code,
            "tag": f.tag,
            "file": f.file,
            "line": f.line,
            "column": f.column,
            "sqlstate": f.sqlstate,
        }
    elif res.error:  # halted: why it stopped where it did
        error = {"summary": res.error}
    return {
        "event": "end",
        "target": res.name,
        "wave": res.wave,
        "state": res.state,
        "applied": [t for t, _ in res.applied],
        "error": error,
        "seconds": round(res.seconds, 4),
    }


__all__ = ["Rollout", "header", "run_rollout"]
