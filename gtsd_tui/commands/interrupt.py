"""Long work in a thread so that Ctrl-C cancels it cleanly (shared by migrate, rehearse and fleet)."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from gtsd_tui.services.apply import Canceller

T = TypeVar("T")


def in_thread(work: Callable[[Canceller], T]) -> T:
    """Run the apply in a thread so Ctrl-C can cancel the statement on the server and roll back."""
    from gtsd_tui.services.apply import new_canceller

    canceller = new_canceller()
    return cancellable(lambda: work(canceller), canceller.cancel, "the running migration is rolled back")


def cancellable(work: Callable[[], T], cancel: Callable[[], None], what: str) -> T:
    """``work()`` in a thread; Ctrl-C calls ``cancel`` (saying ``what`` happens) and waits for the end."""
    box: dict[str, Any] = {}
    done = threading.Event()  # not Thread.join: an interrupted join can misreport the thread as dead

    def target() -> None:
        try:
            box["result"] = work()
        except BaseException as exc:  # handed to the main thread
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=target, name="gtsd-apply", daemon=True).start()
    while not done.is_set():
        try:
            done.wait(0.2)
        except KeyboardInterrupt:
            print(f"\ncancelling: {what}...", file=sys.stderr)
            cancel()
    if "error" in box:
        raise box["error"]
    result: T = box["result"]
    return result
