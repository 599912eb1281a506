"""The blocking work every feature shares (the state, the findings, the preview, the statistics, the
folder watcher): each job runs in a worker thread and returns the one message it posts. A feature's own
jobs are in its module under ``tui/features/``.

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

if TYPE_CHECKING:
    from gtsd_tui.core.migrations.folder import Folder
    from gtsd_tui.services.console import ConsoleService, ConsoleState
    from gtsd_tui.services.files import Signature

Post = Callable[[Message], object]
Seen = tuple[int, "Signature"]


def load_state(service: ConsoleService) -> msg.StateLoaded:
    signature = service.watch_signature()  # before reading: a change made during the read is seen later
    return msg.StateLoaded(service.refresh(), signature)


def load_first(service: ConsoleService, post: Post) -> msg.StateLoaded:
    """The first state: the prefetch child's once it has sent it, else a refresh here. The folder's
    outline, if the child sends it first (and the screen has not shown it yet), is posted before."""
    tags = service.outline(wait=True)
    if tags is not None:
        post(msg.OutlineLoaded(tags))
    first = service.prefetched(wait=True)
    return load_state(service) if first is None else msg.StateLoaded(*first)


def load_findings(service: ConsoleService, state: ConsoleState) -> msg.FindingsLoaded:
    return msg.FindingsLoaded(service.findings(state), state)


def load_preview(service: ConsoleService, folder: Folder, tag: str, error_line: int | None) -> msg.PreviewLoaded:
    preview = service.preview(folder, tag)  # OSError (file deleted) reaches the worker-error handler
    preview.error_line = error_line
    return msg.PreviewLoaded(preview)


def poll_stats(service: ConsoleService, indexes: bool, instances: int) -> msg.StatsUpdated:
    try:
        return msg.StatsUpdated(service.stats(indexes=indexes, instances=instances))
    except GtsdError as exc:  # a lost connection is a state, not a crash
        return msg.StatsUpdated(None, str(exc))


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
