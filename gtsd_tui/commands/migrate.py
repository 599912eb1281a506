"""``gtsd-tui migrate``: apply pending migrations, writing exactly drizzle-orm's rows."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from gtsd_tui.commands.interrupt import in_thread
from gtsd_tui.commands.output import paint, print_json
from gtsd_tui.config import scrub
from gtsd_tui.core.display import shown
from gtsd_tui.core.migrations.modes import PgBouncerMode, TxMode
from gtsd_tui.errors import EXIT_OK, EXIT_PROBLEMS, GtsdError
from gtsd_tui.services.project import Project

if TYPE_CHECKING:  # psycopg and pglast load only when the command runs (keeps --help and other commands fast)
    from gtsd_tui.core.migrations.plan import ApplyPlan
    from gtsd_tui.services.apply import ApplyEvent, ApplyRequest, ApplyResult

PER_FILE, ALL = TxMode.PER_FILE, TxMode.ALL


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("migrate", parents=[common], help="apply pending migrations")
    p.add_argument("--dry-run", action="store_true", help="print the exact plan; touch nothing")
    p.add_argument("--to", metavar="TAG", help="apply up to and including TAG")
    p.add_argument(
        "--tx",
        choices=[m.value for m in TxMode],
        default=PER_FILE,
        help="per-file (default): each migration commits with its row; all: one transaction",
    )
    p.add_argument(
        "--allow-out-of-order",
        action="store_true",
        help="apply migrations drizzle-orm would skip (when <= newest created_at)",
    )
    p.add_argument(
        "--allow-symlinks",
        action="store_true",
        help="run migration files that are symbolic links to files outside the folder",
    )
    p.add_argument(
        "--lock-timeout",
        metavar="DURATION",
        help="lock_timeout for migration statements: 200ms, 2s, 1min, bare number = seconds "
        "(default GTSD_LOCK_TIMEOUT, else 10s; 0 = none)",
    )
    p.add_argument(
        "--statement-timeout",
        metavar="DURATION",
        help="statement_timeout (default GTSD_STATEMENT_TIMEOUT, else 600s; 0 = none)",
    )
    p.add_argument(
        "--retries",
        metavar="N",
        help="retry a migration rolled back on lock_timeout N times, with backoff and jitter "
        "(default GTSD_LOCK_RETRIES, else 0); then exit 4 naming the blocker",
    )
    p.add_argument(
        "--rehearse",
        action="store_true",
        help="rehearse on a throwaway copy first (see rehearse); apply only if the rehearsal succeeded",
    )
    p.add_argument(
        "--no-preflight",
        action="store_true",
        help="skip the data preflight (refuse, exit 1, when a pending statement is proven to fail on existing rows)",
    )
    p.add_argument(
        "--preflight-timeout",
        metavar="DURATION",
        help="statement_timeout of each preflight check (default GTSD_PREFLIGHT_TIMEOUT, else 5s)",
    )
    p.add_argument(
        "--wait",
        type=float,
        default=60.0,
        metavar="S",
        help="how long to wait for another migrator's lock before exit 4 (default 60)",
    )
    p.add_argument(
        "--pgbouncer",
        choices=[m.value for m in PgBouncerMode],
        default=PgBouncerMode.AUTO,
        help="transaction-pooling PgBouncer: lock per migration transaction (default: detect)",
    )


class CliEvents:
    """The apply service's events as terminal lines (progress on stdout, or stderr under --json)."""

    def __init__(self, as_json: bool) -> None:
        self.out = sys.stderr if as_json else sys.stdout
        self.tty = self.out.isatty()
        self.done: list[tuple[str, float]] = []  # (tag, seconds) of each migration whose statements all ran

    def end_progress(self) -> None:
        """Clear the progress bar's line (a terminal only), so what follows starts on a clean line."""
        if self.tty:
            self.out.write("\r\x1b[K")
            self.out.flush()

    def __call__(self, event: ApplyEvent) -> None:
        from gtsd_tui.services import apply as svc

        if isinstance(event, svc.PoolerDetected | svc.Note):
            print(shown(event.message), file=sys.stderr)
        elif isinstance(event, svc.LockWaiting):
            print(
                f"waiting for the migration lock held by {shown(event.who)} ({event.remaining:.0f}s left)",
                file=sys.stderr,
            )
        elif isinstance(event, svc.PlanReady):
            for w in event.warnings:
                print(f"warning: {shown(w)}", file=sys.stderr)
            if not event.tags:
                print("nothing to apply", file=self.out)
        elif isinstance(event, svc.StepStarted):
            if self.tty:
                done = int(20 * event.index / max(event.total, 1))
                bar = "#" * done + "-" * (20 - done)
                self.out.write(f"\r[{bar}] {event.index}/{event.total} {shown(event.tag)}\x1b[K")
                self.out.flush()
        elif isinstance(event, svc.StepDone):
            self.done.append((event.tag, event.seconds))
            mode = "" if event.transactional else " (autocommit)"
            line = f"{paint('✓', 'applied', self.out)} {shown(event.tag)}{mode} {event.seconds * 1000:.0f} ms"
            self.out.write(("\r\x1b[K" if self.tty else "") + line + "\n")
            self.out.flush()


def plan_json(plan: ApplyPlan) -> list[dict[str, Any]]:
    return [
        {
            "tag": s.migration.tag,
            "file": s.migration.file,
            "transactional": s.transactional,
            "non_transactional": [r for r, _ in s.non_tx],
            "chunks": [{"index": c.index, "line": c.line, "text": c.text} for c in s.chunks],
            "row": {"hash": s.row[0], "created_at": s.row[1], **({"name": s.name} if s.name else {})},
        }
        for s in plan.steps
    ]


def print_plan(project: Project, plan: ApplyPlan, xact_lock: bool) -> None:
    from gtsd_tui.services.apply import lock_description, row_sql, upgrade_text

    print(f"-- plan: {len(plan.steps)} migration(s), --tx {plan.tx_mode}, {lock_description(project, xact_lock)}")
    upgrade = upgrade_text(project, plan)
    if upgrade is not None:
        print("-- first: upgrade the drizzle v0 tracking table as drizzle-orm 1.0 does (one transaction)")
        print(upgrade)
    if plan.tx_mode == ALL and plan.steps:
        print("BEGIN;")
    for step in plan.steps:
        tx = step.transactional and plan.tx_mode != ALL
        print(f"-- {shown(step.migration.file or '')}  when={step.migration.when}  hash={step.migration.hash}")
        if tx:
            print("BEGIN;")
        elif not step.transactional:
            print("-- autocommit: " + ", ".join(r for r, _ in step.non_tx))
        for c in step.chunks:
            print(f"-- chunk {c.index + 1}/{len(step.chunks)} (line {c.line})")
            print(c.text)
        print(row_sql(project, step))
        if tx:
            print("COMMIT;")
    if plan.tx_mode == ALL and plan.steps:
        print("COMMIT;")
    for tag in plan.skipped:
        print(f"-- not applied (after --to): {shown(tag)}")


def apply_request(args: argparse.Namespace, project: Project) -> ApplyRequest:
    """The apply service's request from migrate's options (shared by ``fleet migrate``)."""
    from gtsd_tui.services import apply as svc
    from gtsd_tui.services.safe_options import resolve

    safety = resolve(
        project.settings, lock_timeout=args.lock_timeout, statement_timeout=args.statement_timeout, retries=args.retries
    )
    return svc.ApplyRequest(
        to_tag=args.to,
        tx_mode=TxMode(args.tx),
        allow_out_of_order=args.allow_out_of_order,
        lock_timeout=safety.lock_timeout,
        statement_timeout=safety.statement_timeout,
        wait=args.wait,
        pgbouncer=PgBouncerMode(args.pgbouncer),
        retries=safety.retries,
        allow_symlinks=args.allow_symlinks,
    )


def refused_on_data(exc: GtsdError, *, as_json: bool) -> int | None:
    """A data preflight's refusal: every finding on stderr before the one line; under ``--json`` the
    findings on stdout and the exit code to end with (None: not a preflight refusal, or not JSON)."""
    from gtsd_tui.services.data_preflight import PreflightRefused

    if not isinstance(exc, PreflightRefused):
        return None
    from gtsd_tui.commands.preflight import print_preflight

    print_preflight(exc.result, sys.stderr)
    if not as_json:
        return None
    print_json({"applied": [], "error": {"message": str(exc)}, "preflight": exc.result.as_json()})
    print(f"gtsd-tui: {shown(str(exc))}", file=sys.stderr)
    return exc.exit_code


def run(args: argparse.Namespace, project: Project) -> int:
    from gtsd_tui.services import apply as svc

    request = apply_request(args, project)
    preflight_timeout = None
    if not args.no_preflight and not args.dry_run:  # a bad value is refused before anything runs
        from gtsd_tui.services.data_preflight import timeout_setting

        preflight_timeout = timeout_setting(project, args.preflight_timeout)
    events = CliEvents(args.json)
    if args.rehearse and not args.dry_run:
        from gtsd_tui.commands.rehearse import print_rehearsal, rehearse_and_report

        rehearsal = rehearse_and_report(args, project, request)
        try:  # printed while the copy's DROP DATABASE runs; gone before anything is applied
            print_rehearsal(rehearsal, sys.stderr if args.json else sys.stdout)
        finally:
            rehearsal.wait_dropped()
        if rehearsal.failure:
            print(f"gtsd-tui: rehearsal failed, nothing applied: {rehearsal.failure.message}", file=sys.stderr)
            return rehearsal.failure.exit_code
    if args.dry_run:
        xact_lock = svc.uses_xact_lock(project.resolve_url(), request, events)
        plan = svc.plan_only(project, request)
        for w in plan.warnings:
            print(f"warning: {shown(w)}", file=sys.stderr)
        if args.json:
            print_json(
                {
                    "dry_run": True,
                    "tx": plan.tx_mode,
                    "plan": plan_json(plan),
                    "upgrade": None if plan.upgrade is None else dict(plan.upgrade.names),
                    "skipped": plan.skipped,
                    "warnings": plan.warnings,
                }
            )
        else:
            print_plan(project, plan, xact_lock)
        return EXIT_OK
    request = replace(request, preflight_timeout=preflight_timeout)
    try:
        result = in_thread(lambda c: svc.apply(project, request, events, c))
    except GtsdError as exc:
        code = refused_on_data(exc, as_json=args.json)
        if code is not None:
            return code
        failure = svc.failure_of(exc)
        if failure.tag is None:  # not a statement of a migration: the one-line message says it all
            raise
        events.end_progress()  # the bar's line is cleared: nothing is glued to it
        if args.json:  # what stays applied: each migration that ran, but those the failure rolled back
            kept = [{"tag": t, "seconds": round(s, 4)} for t, s in events.done if t not in failure.rolled_back]
            print_json({"applied": kept, "error": failure.as_json()})
        # the error line first, then the excerpt and the server's details, each on lines of their own
        print(f"gtsd-tui: {shown(scrub(str(exc), project.settings.database_url))}", file=sys.stderr)
        for detail in failure.details():
            for line in detail.split("\n"):
                print(shown(line), file=sys.stderr)
        return exc.exit_code
    return report(result, events, as_json=args.json)


def report(result: ApplyResult, events: CliEvents, *, as_json: bool) -> int:
    """After a run that raised nothing: the migrations a migration's own ROLLBACK took back (exit 1:
    the database does not hold them), and the JSON object."""
    for tag, state in result.rolled_back:  # the run went on, but the database does not hold these
        print(f"{paint('↶', 'pending', events.out)} {shown(tag)} rolled back ({state})", file=events.out)
    if as_json:
        print_json(
            {
                "dry_run": False,
                "tx": result.tx_mode,
                "applied": [{"tag": t, "seconds": round(s, 4)} for t, s in result.applied],
                "rolled_back": [{"tag": t, "state": state} for t, state in result.rolled_back],
                "skipped": list(result.skipped),
                "warnings": [*result.warnings, *result.undone],
                "error": None,
            }
        )
    if result.rolled_back:
        print(
            f"gtsd-tui: {len(result.rolled_back)} migration(s) of this run rolled back by a migration's own "
            f"ROLLBACK: {', '.join(shown(t) for t, _ in result.rolled_back)}; see gtsd-tui status",
            file=sys.stderr,
        )
        return EXIT_PROBLEMS
    return EXIT_OK
