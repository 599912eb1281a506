"""``gtsd-tui migrate``: apply pending migrations, writing exactly drizzle-orm's rows."""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from gtsd_tui.commands.output import paint, print_json
from gtsd_tui.errors import EXIT_OK
from gtsd_tui.services.project import Project

if TYPE_CHECKING:  # psycopg and pglast load only when the command runs (keeps --help and other commands fast)
    from gtsd_tui.core.plan import ApplyPlan, Step
    from gtsd_tui.db.lock import Holder
    from gtsd_tui.db.runner import Canceller, RunResult

PER_FILE, ALL = "per-file", "all"


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("migrate", parents=[common], help="apply pending migrations")
    p.add_argument("--dry-run", action="store_true", help="print the exact plan; touch nothing")
    p.add_argument("--to", metavar="TAG", help="apply up to and including TAG")
    p.add_argument(
        "--tx",
        choices=(PER_FILE, ALL),
        default=PER_FILE,
        help="per-file (default): each migration commits with its row; all: one transaction",
    )
    p.add_argument(
        "--allow-out-of-order",
        action="store_true",
        help="apply migrations drizzle-orm would skip (when <= newest created_at)",
    )
    p.add_argument(
        "--lock-timeout",
        type=float,
        default=10.0,
        metavar="S",
        help="PostgreSQL lock_timeout for migration statements (default 10, 0 = none)",
    )
    p.add_argument(
        "--statement-timeout",
        type=float,
        default=600.0,
        metavar="S",
        help="PostgreSQL statement_timeout (default 600, 0 = none)",
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
        choices=("auto", "yes", "no"),
        default="auto",
        help="transaction-pooling PgBouncer: lock per migration transaction (default: detect)",
    )


class CliEvents:
    def __init__(self, as_json: bool) -> None:
        self.out = sys.stderr if as_json else sys.stdout
        self.tty = self.out.isatty()
        self.total = 0

    def lock_wait(self, holders: list[Holder], remaining: float) -> None:
        who = "; ".join(h.describe() for h in holders) or "another session"
        print(f"waiting for the migration lock held by {who} ({remaining:.0f}s left)", file=sys.stderr)

    def plan_ready(self, plan: ApplyPlan) -> None:
        self.total = len(plan.steps)
        for w in plan.warnings:
            print(f"warning: {w}", file=sys.stderr)
        if not plan.steps:
            print("nothing to apply", file=self.out)

    def step_started(self, step: Step, index: int, total: int) -> None:
        if self.tty:
            done = int(20 * index / max(total, 1))
            bar = "#" * done + "-" * (20 - done)
            self.out.write(f"\r[{bar}] {index}/{total} {step.migration.tag}\x1b[K")
            self.out.flush()

    def step_done(self, step: Step, seconds: float) -> None:
        mode = "" if step.transactional else " (autocommit)"
        line = f"{paint('✓', 'applied', self.out)} {step.migration.tag}{mode} {seconds * 1000:.0f} ms"
        self.out.write(("\r\x1b[K" if self.tty else "") + line + "\n")
        self.out.flush()

    def note(self, message: str) -> None:
        print(message, file=sys.stderr)


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
    from gtsd_tui.db.history import insert_row_literal
    from gtsd_tui.db.lock import lock_key

    s = project.settings
    key = lock_key(s.schema, s.table)
    lock_desc = "transaction lock per migration" if xact_lock else "session advisory lock"
    print(f"-- plan: {len(plan.steps)} migration(s), --tx {plan.tx_mode}, {lock_desc} {key} on {s.table_label}")
    if plan.upgrade is not None:
        from gtsd_tui.db.upgrade import upgrade_sql_text

        print("-- first: upgrade the drizzle v0 tracking table as drizzle-orm 1.0 does (one transaction)")
        print(upgrade_sql_text(s.schema, s.table, plan.upgrade))
    if plan.tx_mode == ALL and plan.steps:
        print("BEGIN;")
    for step in plan.steps:
        tx = step.transactional and plan.tx_mode != ALL
        print(f"-- {step.migration.file}  when={step.migration.when}  hash={step.migration.hash}")
        if tx:
            print("BEGIN;")
        elif not step.transactional:
            print("-- autocommit: " + ", ".join(r for r, _ in step.non_tx))
        for c in step.chunks:
            print(f"-- chunk {c.index + 1}/{len(step.chunks)} (line {c.line})")
            print(c.text)
        print(insert_row_literal(s.schema, s.table, step.row[0], step.row[1], step.name).as_string(None) + ";")
        if tx:
            print("COMMIT;")
    if plan.tx_mode == ALL and plan.steps:
        print("COMMIT;")
    for tag in plan.skipped:
        print(f"-- not applied (after --to): {tag}")


def _in_thread(work: Callable[[Canceller], RunResult]) -> RunResult:
    """Run the apply in a thread so Ctrl-C can cancel the statement on the server and roll back."""
    from gtsd_tui.db.runner import Canceller

    canceller = Canceller()
    box: dict[str, Any] = {}
    done = threading.Event()  # not Thread.join: an interrupted join can misreport the thread as dead

    def target() -> None:
        try:
            box["result"] = work(canceller)
        except BaseException as exc:  # handed to the main thread
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=target, name="gtsd-apply", daemon=True).start()
    while not done.is_set():
        try:
            done.wait(0.2)
        except KeyboardInterrupt:
            print("\ncancelling: the running migration is rolled back...", file=sys.stderr)
            canceller.cancel()
    if "error" in box:
        raise box["error"]
    result: RunResult = box["result"]
    return result


def run(args: argparse.Namespace, project: Project) -> int:
    from gtsd_tui.core.plan import build_plan
    from gtsd_tui.core.status import compute_status
    from gtsd_tui.db.runner import MigrationFailed, RunOptions
    from gtsd_tui.db.runner import run as apply_plan

    folder = project.load_folder()

    def make_plan(rows: list[Any]) -> ApplyPlan:
        return build_plan(
            folder,
            compute_status(folder, rows),
            tx_mode=args.tx,
            to_tag=args.to,
            allow_out_of_order=args.allow_out_of_order,
        )

    url = project.resolve_url()
    xact_lock = args.pgbouncer == "yes"
    if args.pgbouncer == "auto":
        from gtsd_tui.db.pooler import transaction_pooling

        xact_lock = transaction_pooling(url)
        if xact_lock:
            print(
                "PgBouncer transaction pooling detected: a session lock cannot hold; "
                "taking a transaction-scoped lock in each migration instead",
                file=sys.stderr,
            )
    if args.dry_run:
        plan = make_plan(project.read_rows())
        for w in plan.warnings:
            print(f"warning: {w}", file=sys.stderr)
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
    opts = RunOptions(
        project.settings.schema, project.settings.table, args.lock_timeout, args.statement_timeout, args.wait, xact_lock
    )
    events = CliEvents(args.json)
    try:
        result = _in_thread(lambda c: apply_plan(url, folder, make_plan, opts, events, c))
    except MigrationFailed as exc:
        for line in exc.details():
            print(line, file=sys.stderr)
        if args.json:
            loc = exc.location
            print_json(
                {
                    "applied": [],
                    "error": {
                        "file": exc.path,
                        "line": loc.line if loc else None,
                        "column": loc.column if loc else None,
                        "sqlstate": exc.error.sqlstate,
                        "message": exc.error.message,
                        "detail": exc.error.detail,
                        "hint": exc.error.hint,
                        "tag": exc.step.migration.tag,
                        "rolled_back": exc.rolled_back,
                    },
                }
            )
            print(f"gtsd-tui: {exc}", file=sys.stderr)
            return exc.exit_code
        raise
    if args.json:
        print_json(
            {
                "dry_run": False,
                "tx": result.plan.tx_mode,
                "applied": [{"tag": t, "seconds": round(s, 4)} for t, s in result.applied],
                "skipped": result.plan.skipped,
                "warnings": result.plan.warnings,
                "error": None,
            }
        )
    return EXIT_OK
