"""``gtsd-tui rehearse``: pending migrations applied on a throwaway copy, measured per statement."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from gtsd_tui.commands.output import print_json
from gtsd_tui.core.migrations.modes import TxMode
from gtsd_tui.errors import EXIT_OK, EXIT_PROBLEMS
from gtsd_tui.services.project import Project

if TYPE_CHECKING:
    from gtsd_tui.services.rehearse import Rehearsal


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "rehearse", parents=[common], help="apply pending migrations on a throwaway copy and report locks, rewrites"
    )
    p.add_argument("--to", metavar="TAG", help="rehearse up to and including TAG")
    p.add_argument("--tx", choices=[m.value for m in TxMode], default=TxMode.PER_FILE, help="as migrate --tx")
    p.add_argument("--allow-out-of-order", action="store_true", help="as migrate --allow-out-of-order")


def rehearsal_json(r: Rehearsal) -> dict[str, Any]:
    from gtsd_tui.core.sql.locks import sql_name
    from gtsd_tui.core.sql.schema_diff import summary

    return {
        "method": r.method,
        "notice": r.notice,
        "ok": r.ok,
        "applied": r.applied,
        "rolled_back": [{"tag": t, "state": state} for t, state in r.rolled_back],
        "undone": r.undone,
        "statements": [
            {
                "tag": s.tag,
                "file": s.file,
                "line": s.line,
                "column": s.column,
                "sql": s.text,
                "transactional": s.transactional,
                "seconds": round(s.seconds, 6),
                "locks": [{"mode": sql_name(m), "relation": rel} for m, rel in s.locks],
                "locks_observed": s.observed,
                "already_held": [{"mode": sql_name(m), "relation": rel} for m, rel in s.already_held],
                "rewrite": s.rewrite,
                "rewrites": s.rewrites,
                "error": s.error,
                "blockers": [
                    {
                        "relation": rel,
                        "pid": b.pid,
                        "application": b.application,
                        "state": b.state,
                        "age_seconds": round(b.age, 1),
                        "mode": sql_name(b.mode),
                        "granted": b.granted,
                        "query": b.query,
                    }
                    for rel, b in s.blockers
                ],
                "would_block": s.would_block,
            }
            for s in r.records
        ],
        "schema_diff": [c.as_json() for c in r.changes],
        "schema_summary": summary(r.changes),
        "error": r.failure.as_json() | {"message_line": r.failure.message} if r.failure else None,
    }


def print_rehearsal(r: Rehearsal, out: Any = None) -> None:
    from gtsd_tui.core.sql.locks import sql_name
    from gtsd_tui.core.sql.schema_diff import summary

    out = out or sys.stdout
    if not r.records and r.failure is None:
        print("nothing pending: every migration of the folder is applied (nothing was rehearsed)", file=out)
        return
    for s in r.records:
        locks = ", ".join(f"{sql_name(m)} {rel}" for m, rel in s.locks) or "no new table lock"
        if not s.observed:
            locks += " (documented)"
        mark = " REWRITE " + ", ".join(s.rewrites) if s.rewrite else ""
        first = s.text.splitlines()[0][:70] if s.text else ""
        print(f"{s.tag}:{s.line}  {s.seconds * 1000:7.1f} ms  {locks}{mark}  | {first}", file=out)
        if s.error:
            print(f"  error: {s.error}", file=out)
        for rel, b in s.blockers:
            print(f"  would wait behind {b.describe()} on {rel}", file=out)
        if s.would_block:
            print(f"  while it waits, {s.would_block} other session(s) queue behind its ACCESS EXCLUSIVE", file=out)
    for line in r.undone:
        print(f"warning: {line}", file=out)
    for tag, state in r.rolled_back:
        print(f"↶ {tag} rolled back on the copy by a later migration's own ROLLBACK ({state})", file=out)
    print("schema diff:", file=out)
    for line in summary(r.changes):
        print(f"  {line}", file=out)


def rehearse_and_report(
    args: argparse.Namespace, project: Project, request: Any, beside: Callable[[Any], object] | None = None
) -> Rehearsal:
    """Run the rehearsal (Ctrl-C cancels it and the copy is dropped) and print its notice; ``beside``
    as the service's (read-only work on the target while the migrations run on the copy, given the
    rehearsal's plan). The copy's drop may still be running when this returns: the caller prints the
    report, then calls ``wait_dropped()`` (in a ``finally``: the copy is gone when the command ends)."""
    from gtsd_tui.services.rehearse_copy import finish_early_copy, start_early_copy

    early = project.early_copy or start_early_copy(project.settings)  # first: the server copies while the rest loads
    try:
        return _rehearse(project, request, early, beside)
    finally:
        finish_early_copy(early)


def _rehearse(project: Project, request: Any, early: Any, beside: Callable[[Any], object] | None = None) -> Rehearsal:
    from gtsd_tui.commands.interrupt import in_thread
    from gtsd_tui.services import rehearse as svc

    def listen(event: object) -> None:
        if isinstance(event, svc.RehearsalStarted) and event.notice:
            print(f"notice: {event.notice}", file=sys.stderr)
        elif isinstance(event, svc.StatementRehearsed) and sys.stderr.isatty():
            sys.stderr.write(f"\rrehearsing {event.done}/{event.total}\x1b[K")
            sys.stderr.flush()

    result = in_thread(lambda c: svc.rehearse(project, request, listen, c, early, beside, drop_later=True))
    if sys.stderr.isatty():
        sys.stderr.write("\r\x1b[K")
    return result


def data_findings(project: Project, request: Any, plan: Any = None) -> Any:
    """The data preflight on the target (read-only, beside the run on the copy), or ``{"error": line}``
    when it cannot run (the rehearsal's own result stands either way). ``plan``: the rehearsal's own
    (made from the same rows of the target), else planned here."""
    from gtsd_tui.errors import GtsdError
    from gtsd_tui.services.apply import data_preflight
    from gtsd_tui.services.data_preflight import timeout_setting

    try:
        return data_preflight(project, request, timeout_setting(project, None), plan=plan)
    except GtsdError as exc:
        return {"error": str(exc)}


def _into(future: Future[Any], work: Callable[[], Any]) -> None:
    try:
        future.set_result(work())
    except BaseException as exc:  # raised again where the result is taken
        future.set_exception(exc)


def run(args: argparse.Namespace, project: Project) -> int:
    from gtsd_tui.services.apply import ApplyRequest

    request = ApplyRequest(to_tag=args.to, tx_mode=TxMode(args.tx), allow_out_of_order=args.allow_out_of_order)
    # the data preflight runs on the target while the migrations run on the copy (it used to follow the
    # rehearsal, adding its whole time); when no copy is made it runs afterwards, as before
    found_beside: Future[Any] = Future()
    r = rehearse_and_report(
        args, project, request, lambda plan: _into(found_beside, lambda: data_findings(project, request, plan))
    )
    try:  # the report printed while the copy's DROP DATABASE runs
        found = found_beside.result() if found_beside.done() else data_findings(project, request)
        _print_report(args, r, found)
    finally:
        r.wait_dropped()
    if r.failure:
        print(f"gtsd-tui: rehearsal failed: {r.failure.message}", file=sys.stderr)
        return r.failure.exit_code
    if r.rolled_back:  # as migrate: the run went on, but the database would not hold these
        print(
            f"gtsd-tui: rolled back by a migration's own ROLLBACK: {', '.join(t for t, _ in r.rolled_back)}",
            file=sys.stderr,
        )
        return EXIT_PROBLEMS
    return EXIT_OK


def _print_report(args: argparse.Namespace, r: Rehearsal, found: Any) -> None:
    if args.json:
        print_json(rehearsal_json(r) | {"preflight": found if isinstance(found, dict) else found.as_json()})
        return
    print_rehearsal(r)
    if isinstance(found, dict):
        print(f"preflight: {found['error']}")
    else:
        from gtsd_tui.commands.preflight import print_preflight

        print_preflight(found)
