"""The console's first refresh, read by a forked child while the parent imports Textual and composes
(``status`` reads its database side the same way: ``services/status_read.py``).

In one process the first screen waited for psycopg's import, the connection and the read, then for
Textual's import and the first layout, one after the other (and in a thread they would still take
turns: the GIL serialises imports). Forked before Textual is imported, the child imports psycopg,
reads the folder and the tracking table over one connection (no pool), sends ``(state, signature,
url, embedded)`` back pickled over a pipe and leaves with ``os._exit`` (no atexit handler, no
buffered output of the parent's); the parent never imports psycopg before its first paint.

Where ``os.fork`` does not exist, or threads already run (a forked child would inherit their locks
held), the caller reads in-process instead, as before. A child that fails in any way (an exception,
Ctrl-C, a payload that does not unpickle) sends nothing usable: the parent then reads in-process,
in a worker, and shows that read's errors as it always did. Nothing the child prints reaches the
terminal: it writes only to the pipe.
"""

from __future__ import annotations

import gc
import os
import pickle
import select
import signal
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Generic, TypeVar, cast

if TYPE_CHECKING:
    from gtsd_tui.services.console import ConsoleState
    from gtsd_tui.services.files import Signature

# what the child reads: the state, the watch signature taken before it, and the project's URL and
# whether it is the embedded server (the child may have started it)
First = tuple["ConsoleState", "Signature", "str | None", bool]
T = TypeVar("T")


def _is_first(got: object) -> bool:
    return isinstance(got, tuple) and len(got) == 4


class ChildRead(Generic[T]):
    """A forked child's read (the console's first refresh, status's database side), taken once
    (``take``, from a worker when it may wait), or abandoned (``close``, from any thread: the child is
    killed and reaped; a ``take`` waiting on the pipe then returns None and closes it). ``accept`` says
    whether what came back is what was asked for."""

    def __init__(self, pid: int, fd: int, accept: Callable[[object], bool] = _is_first) -> None:
        self.pid = pid
        self.fd = fd
        self.accept = accept
        self.done = False
        self.reading = False
        self.lock = threading.Lock()

    def ready(self) -> bool:
        """The child has written (or exited): ``take`` will not wait long."""
        with self.lock:
            return not self.done and not self.reading and bool(select.select([self.fd], [], [], 0)[0])

    def take(self) -> T | None:
        """Blocks until the child is done; None when the child failed, was interrupted, sent something
        unreadable or was abandoned meanwhile: the caller then reads in-process."""
        with self.lock:
            if self.done or self.reading:
                return None
            self.reading = True
        chunks = []
        try:
            while chunk := os.read(self.fd, 1 << 20):
                chunks.append(chunk)
        except OSError:
            chunks = []
        with self.lock:
            self.reading = False
            abandoned = self.done
            if not abandoned:
                self.done = True
                self._reap(kill=False)  # the pipe's end: the child is leaving
            os.close(self.fd)  # here, not in close(): no other thread reads a reused descriptor
        if abandoned or not chunks:
            return None
        collecting = gc.isenabled()
        gc.disable()  # tens of thousands of objects at once (5,000 migrations): a third less time without GC passes
        try:
            got = pickle.loads(b"".join(chunks))
        except Exception:  # a truncated payload (child killed mid-write) or an unreadable one
            return None
        finally:
            if collecting:
                gc.enable()
        return cast(T, got) if self.accept(got) else None

    def close(self) -> None:
        """Stop waiting: the child (killed if still running) is reaped, the pipe closed unless a ``take``
        is reading it (that one closes it). Idempotent."""
        with self.lock:
            if self.done:
                return
            self.done = True
            self._reap(kill=True)
            if not self.reading:
                os.close(self.fd)

    def _reap(self, *, kill: bool) -> None:
        try:
            if kill and os.waitpid(self.pid, os.WNOHANG) == (0, 0):
                os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except (ChildProcessError, ProcessLookupError):
            pass


def fork_read(read: Callable[[], T], accept: Callable[[object], bool] = _is_first) -> ChildRead[T] | None:
    """Run ``read`` in a forked child; None where forking is not possible (the caller reads itself)."""
    if not hasattr(os, "fork") or threading.active_count() > 1:
        return None
    r, w = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(r)
        os.close(w)
        return None
    if pid == 0:  # the child: never returns
        _child(r, w, read)
    os.close(w)
    return ChildRead(pid, r, accept)


def _child(r: int, w: int, read: Callable[[], object]) -> None:
    code = 1
    try:
        os.close(r)
        data = pickle.dumps(read(), protocol=pickle.HIGHEST_PROTOCOL)
        view = memoryview(data)
        while view:
            view = view[os.write(w, view) :]
        code = 0
    except BaseException:  # noqa: BLE001 - a failure, Ctrl-C, a broken pipe: the parent reads in-process
        pass
    finally:
        os._exit(code)
