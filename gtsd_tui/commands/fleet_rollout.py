"""``gtsd-tui fleet migrate``: a rollout over many databases (canary, waves, halt policy, record, resume).

The options are checked, the folder refused or accepted, the targets read and the record locked
before the first connection. SIGTERM is handled as Ctrl-C: running statements are cancelled (their
migrations roll back), nothing more starts, the record says which targets completed.
"""

from __future__ import annotations

import argparse
import os
import signal
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gtsd_tui import __version__
from gtsd_tui.commands.fleet_progress import FleetPrinter, print_results
from gtsd_tui.commands.output import print_json
from gtsd_tui.core.fleets.rollout import HALTED, INTERRUPTED, NOT_STARTED, RolloutPlan, make_plan
from gtsd_tui.errors import InputError
from gtsd_tui.services.project import Project

if TYPE_CHECKING:
    from gtsd_tui.core.fleets.rollout import RolloutState, TargetState
    from gtsd_tui.core.fleets.targets import Target
    from gtsd_tui.services.rollout import Rollout
    from gtsd_tui.services.rollout_record import RecordWriter

JSON_FORMAT_VERSION = 1
STAGE_OPTIONS = ("canary", "waves", "max_failures", "max_failure_rate", "fail_fast")


def add_rollout_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--fail-fast", action="store_true", help="after a target fails, start no other (--max-failures 1)")
    p.add_argument("--canary", type=int, metavar="N", help="the first N targets alone first; any failure halts")
    p.add_argument("--waves", metavar="P,...", help="cumulative shares of the targets, e.g. 10%%,50%%,100%%")
    p.add_argument("--max-failures", type=int, metavar="N", help="halt once N targets have failed")
    p.add_argument(
        "--max-failure-rate", metavar="P", help="halt once more than P%% of the targets of the waves begun failed"
    )
    p.add_argument(
        "--record", metavar="FILE", help="the rollout record (default: beside --targets FILE, FILE.rollout.jsonl)"
    )
    p.add_argument("--no-record", action="store_true", help="write no rollout record")


def _plan(args: argparse.Namespace) -> RolloutPlan:
    return make_plan(args.canary, args.waves, args.max_failures, args.max_failure_rate, fail_fast=args.fail_fast)


def record_path(args: argparse.Namespace, project: Project) -> Path | None:
    """Where this run's record goes: ``--record``, else beside the targets file; None with ``--no-record``
    or for ``--databases-like`` without ``--record``."""
    from gtsd_tui.services.rollout_record import default_record

    if getattr(args, "no_record", False):
        return None
    if args.record:
        return _under(project, args.record)
    if getattr(args, "targets", None):
        return default_record(_under(project, args.targets))
    return None


def _under(project: Project, name: str) -> Path:
    path = Path(name)
    return path if path.is_absolute() else project.settings.cwd / path


def _resume_state(args: argparse.Namespace, writer: RecordWriter) -> RolloutState:
    state = writer.read()
    if state is None:
        raise InputError(f"{writer.path}: no rollout to resume in this record")
    given = [f"--{o.replace('_', '-')}" for o in STAGE_OPTIONS if getattr(args, o)]
    if given:
        raise InputError(f"{' '.join(given)}: a resumed rollout keeps its record's waves and policy")
    req = state.header.get("request") or {}
    if args.to is not None and args.to != req.get("to"):
        raise InputError(f"--to {args.to}: the rollout in {writer.path} was started with --to {req.get('to')}")
    args.to = req.get("to")
    args.tx = args.tx or req.get("tx") or "per-file"
    return state


def _resume_targets(
    state: RolloutState, args: argparse.Namespace, project: Project, read: Any, path: Path
) -> list[Target]:
    """The record's targets, read again from their source (URLs are not in the record)."""
    source = state.header.get("source") or {}
    if source.get("targets_file"):
        args.targets, args.databases_like = source["targets_file"], None
    elif source.get("databases_like"):
        args.targets, args.databases_like = None, source["databases_like"]
    else:
        raise InputError(f"{path}: the rollout names no targets source to resume from")
    targets: list[Target] = read(args, project, 5.0)
    names = [t.name for t in targets]
    if names != state.names:
        gone = [n for n in state.names if n not in names]
        new = [n for n in names if n not in state.names]
        what = (f"missing {', '.join(gone[:3])}" if gone else "") + (f" new {', '.join(new[:3])}" if new else "")
        raise InputError(f"{path}: the targets changed since the rollout began ({what.strip() or 'another order'})")
    return targets


def _with_preflight(request: Any, args: argparse.Namespace, project: Project) -> Any:
    """``--preflight``: each target's apply runs the data preflight first (a refused target fails)."""
    if not getattr(args, "preflight", False):
        return request
    from dataclasses import replace

    from gtsd_tui.services.data_preflight import timeout_setting

    return replace(request, preflight_timeout=timeout_setting(project, args.preflight_timeout))


def migrate(args: argparse.Namespace, project: Project, jobs: int | None, read_targets: Any) -> int:
    """``fleet migrate``: ``read_targets(args, project, timeout)`` gives the targets (``commands.fleet``)."""
    from gtsd_tui.commands.interrupt import cancellable
    from gtsd_tui.commands.migrate import apply_request
    from gtsd_tui.services.fleet import FleetCancel, check_folder
    from gtsd_tui.services.rollout import header, run_rollout
    from gtsd_tui.services.rollout_record import RecordWriter

    if args.wait < 0:
        raise InputError(f"--wait {args.wait:g}: expected seconds >= 0")
    writer: RecordWriter | None = None
    try:
        if args.resume:
            path = _under(project, args.resume)
            if not path.is_file():
                raise InputError(f"{path}: rollout record not found")
            writer = RecordWriter(path)
            state = _resume_state(args, writer)
            plan = state.plan
            request = _with_preflight(apply_request(args, project), args, project)
            check_folder(project.settings, request)
            targets = _resume_targets(state, args, project, read_targets, writer.path)
            done = frozenset(t.name for t in state.targets.values() if t.state == "done")
            _first_line(writer, {"event": "resume", "id": state.id, "pid": os.getpid(), "tool_version": __version__})
            rollout_id = state.id
        else:
            plan = _plan(args)
            args.tx = args.tx or "per-file"
            request = _with_preflight(apply_request(args, project), args, project)
            check_folder(project.settings, request)  # the folder's refusals before any connection
            targets = read_targets(args, project, 5.0)
            done = frozenset()
            rollout_id = uuid.uuid4().hex[:12]
            path_or_none = record_path(args, project)
            if path_or_none is not None:
                writer = RecordWriter(path_or_none)
                source = (
                    {"targets_file": str(_under(project, args.targets).resolve())}
                    if args.targets
                    else {"databases_like": args.databases_like, "server": project.masked_url.rsplit("/", 1)[0]}
                )
                _first_line(writer, header(targets, plan, source, request, str(project.folder_path), rollout_id))
        printer = FleetPrinter([t.name for t in targets], quiet=bool(args.json))
        cancel = FleetCancel()
        t0 = time.perf_counter()
        previous = signal.signal(signal.SIGTERM, _as_interrupt)
        try:
            rollout: Rollout = cancellable(
                lambda: run_rollout(
                    project.settings,
                    targets,
                    request,
                    plan,
                    jobs=jobs,
                    listen=printer.handle,
                    cancel=cancel,
                    record=writer,
                    done_before=done,
                ),
                cancel.cancel,
                "running migrations roll back, no new target starts",
            )
        finally:
            signal.signal(signal.SIGTERM, previous)
            printer.close()
    finally:
        if writer is not None:
            writer.close()
    seconds = time.perf_counter() - t0
    _report(args, project, rollout, rollout_id, writer.path if writer else None, seconds)
    return rollout.exit_code


def _first_line(writer: RecordWriter, event: dict[str, Any]) -> None:
    try:
        writer.write(event)
    except OSError as exc:
        raise InputError(f"{writer.path}: cannot write the rollout record: {exc.strerror or exc}") from None


def _as_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM as Ctrl-C: cancellable() cancels the running statements


def _report(
    args: argparse.Namespace, project: Project, rollout: Rollout, rid: str, record: Path | None, seconds: float
) -> None:
    results = rollout.results
    if args.json:
        print_json(
            {
                "version": JSON_FORMAT_VERSION,
                "tool_version": __version__,
                "migrations_dir": str(project.folder_path),
                "targets": [r.as_json() for r in results],
                "ok": sum(1 for r in results if r.ok),
                "failed": sum(1 for r in results if r.failure is not None and r.state != INTERRUPTED),
                "halted": sum(1 for r in results if r.state == HALTED),
                "interrupted": sum(1 for r in results if r.state == INTERRUPTED),
                "not_started": sum(1 for r in results if r.state == NOT_STARTED),
                "rollout": {
                    "id": rid,
                    "record": str(record) if record else None,
                    "outcome": rollout.outcome,
                    "reason": rollout.reason,
                    "waves": rollout.waves,
                    "waves_run": rollout.waves_run,
                },
                "seconds": round(seconds, 3),
                "exit_code": rollout.exit_code,
            }
        )
        return
    print_results(results, seconds)
    where = f" (record {record})" if record else ""
    print(f"rollout {rid} {rollout.outcome}: {rollout.reason}{where}")


# ---- fleet status: the records beside the live state ----------------------------------------------


def add_status_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--record",
        action="append",
        metavar="FILE",
        help="rollout record(s) to show beside the live state (repeat to merge CI jobs' records; "
        "default: the one beside --targets FILE)",
    )


def status_records(args: argparse.Namespace, project: Project) -> list[RolloutState]:
    """The last rollout of each record named by ``--record`` (or the one beside ``--targets``, when it
    exists); InputError for a named record that is missing or malformed."""
    from gtsd_tui.services.rollout_record import default_record, read_record

    if args.record:
        paths = [_under(project, r) for r in args.record]
    elif getattr(args, "targets", None) and default_record(_under(project, args.targets)).is_file():
        paths = [default_record(_under(project, args.targets))]
    else:
        return []
    out = []
    for path in paths:
        if not path.is_file():
            raise InputError(f"{path}: rollout record not found")
        state = read_record(path)
        if state is not None:
            out.append(state)
    return out


def rollout_cell(t: TargetState | None) -> str:
    """A target's rollout state for ``fleet status``'s line: ``rollout: failed (0001_x.sql:3:5)``."""
    if t is None:
        return "rollout: not in the record"
    err = t.error or {}
    where = f"{err['file']}:{err.get('line')}:{err.get('column')}" if err.get("file") else err.get("summary")
    wave = f" wave {t.wave}" if t.wave else ""
    return f"rollout{wave}: {t.label}" + (f" ({where})" if where and t.state != "done" else "")
