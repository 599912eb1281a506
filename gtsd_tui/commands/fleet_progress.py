"""How ``fleet migrate`` shows its progress: a live block on a terminal, plain lines otherwise, then a table.

Events come from the worker threads; one lock orders the writes. On a terminal (stderr), the block
is redrawn at most every 0.1 s: an overall bar, then one line per running target (its step and tag).
Elsewhere each finished target is one line on stderr. The summary table goes to stdout.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import IO, TYPE_CHECKING

from gtsd_tui.commands.output import paint, table
from gtsd_tui.core.display import shown

if TYPE_CHECKING:
    from gtsd_tui.core.fleets.fleet import TargetResult
    from gtsd_tui.services.fleet import FleetEvent

REDRAW_EVERY = 0.1


class FleetPrinter:
    def __init__(self, names: list[str], *, quiet: bool = False, stream: IO[str] | None = None) -> None:
        self.out = stream or sys.stderr
        self.tty = bool(self.out.isatty()) and not quiet
        self.quiet = quiet
        self.total = len(names)
        self.width = max((len(shown(n)) for n in names), default=0)
        self.running: dict[str, str] = {}  # name -> what it is doing
        self.wave = ""  # "wave 2/3" in a staged rollout
        self.done = self.failed = 0
        self.drawn = 0  # lines of the live block on screen
        self.last = 0.0
        self.every = REDRAW_EVERY  # seconds between two redraws of the live block
        self.lock = threading.Lock()

    def handle(self, event: FleetEvent) -> None:
        from gtsd_tui.services import apply as svc
        from gtsd_tui.services.fleet import RolloutHalted, TargetFinished, TargetProgress, TargetStarted, WaveStarted

        with self.lock:
            if isinstance(event, WaveStarted):
                self.wave = f"wave {event.index}/{event.total}" + (" (canary)" if event.canary else "")
                if event.total > 1 and not self.quiet:
                    self._clear()
                    self.out.write(f"{self.wave}: {len(event.names)} target(s), {self.done}/{self.total} done so far\n")
            elif isinstance(event, RolloutHalted):
                if not self.quiet:
                    self._clear()
                    self.out.write(f"halted: {shown(event.reason)}; no new target starts\n")
            elif isinstance(event, TargetStarted):
                self.running[event.name] = "connecting"
            elif isinstance(event, TargetProgress):
                e = event.event
                if isinstance(e, svc.StepStarted):
                    self.running[event.name] = f"{e.index + 1}/{e.total} {shown(e.tag)}"
                elif isinstance(e, svc.LockWaiting):
                    self.running[event.name] = f"waiting for the lock held by {shown(e.who)}"
                elif isinstance(e, svc.PlanReady) and not e.tags:
                    self.running[event.name] = "nothing to apply"
                elif isinstance(e, svc.PoolerDetected | svc.Note) and not self.quiet and not self.tty:
                    self.out.write(f"{shown(event.name)}: {shown(e.message)}\n")
            elif isinstance(event, TargetFinished):
                self._finished(event.result)
            self._redraw(force=isinstance(event, TargetFinished))

    def _finished(self, r: TargetResult) -> None:
        self.running.pop(r.name, None)
        self.done += 1
        self.failed += 1 if r.failure is not None else 0
        if self.quiet:
            return
        self._clear()
        self.out.write(result_line(r, self.width, self.out) + "\n")
        self.out.flush()

    def _clear(self) -> None:
        if self.tty and self.drawn:
            self.out.write(f"\x1b[{self.drawn}F\x1b[J")
            self.drawn = 0

    def _redraw(self, *, force: bool = False) -> None:
        if not self.tty:
            return
        now = time.monotonic()
        if not force and now - self.last < self.every:
            return
        self.last = now
        self._clear()
        filled = int(30 * self.done / max(self.total, 1))
        wave = f"{self.wave}, " if self.wave else ""
        lines = [
            f"[{'#' * filled}{'-' * (30 - filled)}] {wave}{self.done}/{self.total} done, "
            f"{len(self.running)} running, {self.failed} failed"
        ]
        lines += [f"  {shown(n).ljust(self.width)}  {what}" for n, what in sorted(self.running.items())]
        self.out.write("\n".join(lines) + "\n")
        self.out.flush()
        self.drawn = len(lines)

    def close(self) -> None:
        with self.lock:
            self._clear()
            self.out.flush()


def result_line(r: TargetResult, width: int, stream: IO[str] | None = None) -> str:
    name = shown(r.name).ljust(width)
    if r.earlier:
        return f"{paint('✓', 'applied', stream)} {name}  done before the resume"
    if not r.started:
        return f"- {name}  never started"
    if r.ok and r.rolled_back:  # the run went on, but the database does not hold these (migrate: exit 1)
        undone = ", ".join(shown(t) for t, _ in r.rolled_back)
        return (
            f"{paint('↶', 'pending', stream)} {name}  {len(r.applied)} applied; rolled back by a migration's own "
            f"ROLLBACK: {undone} (see gtsd-tui status)  {r.seconds:.2f}s"
        )
    if r.ok:
        tags = f"{len(r.applied)} applied" if r.applied else "nothing to apply"
        return f"{paint('✓', 'applied', stream)} {name}  {tags}  {r.seconds:.2f}s"
    if r.failure is None:  # halted by the policy after its current migration
        return f"■ {name}  halted by policy: {len(r.applied)} applied, {shown(r.error or 'stopped')}  {r.seconds:.2f}s"
    details = r.failure.details() if r.failure is not None else []
    return "\n".join(
        [f"{paint('✗', 'error', stream)} {name}  {shown(r.error or 'failed')}"]
        + [f"    {shown(line)}" for d in details for line in d.splitlines()]
    )


def print_results(results: list[TargetResult], seconds: float) -> None:
    from gtsd_tui.core.fleets.rollout import LABELS

    rows, colors = [], []
    waves = any(r.wave for r in results) and len({r.wave for r in results}) > 1
    for r in results:
        state = "ok" if r.ok and not r.earlier else LABELS[r.state] + (" earlier" if r.earlier else "")
        last = r.applied[-1][0] if r.applied else "-"
        wave = [str(r.wave or "-")] if waves else []
        note = r.error or ("rolled back: " + ", ".join(t for t, _ in r.rolled_back) if r.rolled_back else "")
        rows.append([r.name, *wave, state, str(len(r.applied)), last, f"{r.seconds:.2f}", note])
        colors.append("applied" if r.ok else "error")
    head = ["TARGET", *(["WAVE"] if waves else []), "RESULT", "APPLIED", "LAST APPLIED", "SECONDS", "ERROR"]
    print(table(rows, head, colors))
    counts: dict[str, int] = {}
    for r in results:
        key = "ok" if r.ok else LABELS[r.state]
        counts[key] = counts.get(key, 0) + 1
    ok = counts.pop("ok", 0)
    failed = counts.pop(LABELS["failed"], 0)
    tail = "".join(f", {n} {label}" for label, n in counts.items())
    print(f"{ok} ok, {failed} failed{tail} in {seconds:.1f}s")
