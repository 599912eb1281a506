"""The console's blocking work: each job runs in a worker thread and returns the one message it posts.

Expected failures (a refused plan, a lost database, a failed statement) come back as typed messages;
anything else raises, and the app's single ``Worker.StateChanged`` handler shows it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.message import Message

from gtsd_tui.errors import GtsdError
from gtsd_tui.tui import messages as msg

if TYPE_CHECKING:  # the console's start path imports none of them (apply and renumber load when used)
    from gtsd_tui.core.migrations.folder import Folder
    from gtsd_tui.services.apply import ApplyEvent
    from gtsd_tui.services.console import ConsoleService, ConsoleState
    from gtsd_tui.services.files import Signature
    from gtsd_tui.services.folder_ops import RenumberContext

Post = Callable[[Message], object]
Seen = tuple[int, "Signature"]


def load_state(service: ConsoleService) -> msg.StateLoaded:
    signature = service.watch_signature()  # before reading: a change made during the read is seen later
    return msg.StateLoaded(service.refresh(), signature)


def load_first(service: ConsoleService) -> msg.StateLoaded:
    """The first state: the prefetch child's once it has sent it, else a refresh here."""
    first = service.prefetched(wait=True)
    return load_state(service) if first is None else msg.StateLoaded(*first)


def load_findings(service: ConsoleService, state: ConsoleState) -> msg.FindingsLoaded:
    return msg.FindingsLoaded(service.findings(state), state)


def load_preview(service: ConsoleService, folder: Folder, tag: str, error_line: int | None) -> msg.PreviewLoaded:
    preview = service.preview(folder, tag)  # OSError (file deleted) reaches the worker-error handler
    preview.error_line = error_line
    return msg.PreviewLoaded(preview)


def open_file(service: ConsoleService, state: ConsoleState, tag: str) -> msg.FileOpened:
    title, lines = service.file_view(state, tag)
    return msg.FileOpened(title, lines)


def show_plan(service: ConsoleService, to_tag: str | None) -> msg.PlanShown:
    try:
        return msg.PlanShown(to_tag, service.plan_text(to_tag))
    except GtsdError as exc:
        return msg.PlanShown(to_tag, None, str(exc))


def apply(service: ConsoleService, to_tag: str | None, post: Post, safe: bool = False) -> msg.ApplyFinished:
    def listen(event: ApplyEvent) -> None:
        post(msg.ApplyProgressed(event))

    try:
        result = service.apply(to_tag, listen, safe)
    except GtsdError as exc:
        from gtsd_tui.services.apply import failure_of

        return msg.ApplyFinished([], failure_of(exc))
    return msg.ApplyFinished(result.applied_tags, None)


def load_environments(service: ConsoleService) -> msg.EnvironmentsLoaded:
    return msg.EnvironmentsLoaded(service.environments())


def apply_env(service: ConsoleService, name: str, to_tag: str | None, post: Post) -> msg.EnvApplyFinished:
    """Apply to environment ``name`` (the Environments view), reporting progress as the console's apply."""

    def listen(event: ApplyEvent) -> None:
        post(msg.EnvApplyProgressed(name, event))

    try:
        result = service.apply_env(name, to_tag, listen)
    except GtsdError as exc:
        from gtsd_tui.services.apply import failure_of

        return msg.EnvApplyFinished(name, [], failure_of(exc))
    return msg.EnvApplyFinished(name, list(result.applied_tags), None)


def poll_stats(service: ConsoleService, indexes: bool, instances: int) -> msg.StatsUpdated:
    try:
        return msg.StatsUpdated(service.stats(indexes=indexes, instances=instances))
    except GtsdError as exc:  # a lost connection is a state, not a crash
        return msg.StatsUpdated(None, str(exc))


def signal(service: ConsoleService, pid: int, terminate: bool) -> msg.SignalSent:
    return msg.SignalSent(pid, terminate, service.signal(pid, terminate=terminate))


def plan_renumber(service: ConsoleService) -> msg.RenumberPlanned | msg.RenumberDone:
    """The plan and the lines its dialog shows; refused (as the CLI without --force) on a clash."""
    from gtsd_tui.core.merging.renumber_text import clash_lines, plan_lines, refusal

    try:
        context = service.renumber_plan()
        plan = context.plan
        body = [] if plan.noop else plan_lines(plan, context.pinned_by, service.renumber_forks())
    except GtsdError as exc:
        return msg.RenumberDone("", f"nothing changed: {exc}")
    refused = [refusal(plan), *clash_lines(plan)] if plan.clashes else None
    return msg.RenumberPlanned(context, body, refused)


def renumber(service: ConsoleService, context: RenumberContext) -> msg.RenumberDone:
    """The plan's context goes to the service: a folder changed since the plan is refused, nothing written."""
    plan = context.plan
    try:
        service.apply_renumber(context)
    except GtsdError as exc:
        return msg.RenumberDone("", str(exc))
    return msg.RenumberDone(f"renumbered {len(plan.changes)} migration(s)")


def reset_target(service: ConsoleService) -> msg.ResetTargetKnown:
    name, local = service.reset_target()
    return msg.ResetTargetKnown(name, local)


def backup(service: ConsoleService, then_reset: bool) -> msg.BackupFinished:
    try:
        return msg.BackupFinished(service.backup(), None, then_reset)
    except GtsdError as exc:
        return msg.BackupFinished(None, str(exc), then_reset)


def reset(service: ConsoleService, post: Post) -> msg.ResetFinished:
    def progress(text: str) -> None:
        post(msg.ResetProgressed(text))

    try:
        return msg.ResetFinished(service.reset(progress))
    except GtsdError as exc:
        return msg.ResetFinished(None, str(exc))


def create(service: ConsoleService, name: str) -> msg.MigrationCreated:
    try:
        return msg.MigrationCreated(service.create(name))
    except GtsdError as exc:
        return msg.MigrationCreated("", str(exc))


def watch(service: ConsoleService, post: Post, cancelled: Callable[[], bool], seen: Callable[[], Seen]) -> None:
    """Poll the folder's signature every 0.3 s; post FolderChanged once a change has settled (one quiet
    poll: an editor's save or a ``git merge`` is seen once, not once per file). ``seen`` gives the
    signature the shown state was read with (and a counter of our own refreshes): a change is measured
    against what is on screen, never against what happened to be on disk when the watcher started."""
    epoch, last = seen()
    changed = False
    while not cancelled():
        time.sleep(0.3)
        now = service.watch_signature()
        if seen()[0] != epoch and not changed:  # we refreshed meanwhile: compare with what it read
            epoch, last = seen()
        if now != last:
            last, changed = now, True
        elif changed:
            changed = False
            post(msg.FolderChanged())
