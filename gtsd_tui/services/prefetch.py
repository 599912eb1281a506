"""The console's first refresh, read by a forked child while the parent imports Textual and composes
(``status`` reads its database side the same way, without an outline: ``services/status_read.py``).

In one process the first screen waited for psycopg's import, the connection and the read, then for
Textual's import and the first layout, one after the other (and in a thread they would still take
turns: the GIL serialises imports). Forked before Textual is imported, the child first sends the
folder's outline (its tags in run order, from a listing: the first frame shows them), then imports
psycopg, reads the folder and the tracking table over one connection (no pool), sends ``(state,
signature, url, embedded)`` pickled over the same pipe and leaves with ``os._exit`` (no atexit
handler, no buffered output of the parent's); the parent never imports psycopg before its first paint.

Where ``os.fork`` does not exist, or threads already run (a forked child would inherit their locks
held), the caller reads in-process instead, as before. A child that fails in any way (an exception,
Ctrl-C, a payload that does not unpickle) sends nothing usable: the parent then reads in-process,
in a worker, and shows that read's errors as it always did. Nothing the child prints reaches the
terminal: it writes only to the pipe.
"""

from __future__ import annotations

import gc
import os
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
# what it sends before: the folder's tags in run order, from a listing alone (None: no outline)
Outline = list[str] | None

# each message on the pipe: its length (8 bytes, big-endian), then its body: the outline's tags joined by
# NUL (no pickle: the parent shows them before it needs pickle's import), the state pickled
_HEAD = 8

T = TypeVar("T")


def _is_first(got: object) -> bool:
    return isinstance(got, tuple) and len(got) == 4


class ChildRead(Generic[T]):
    """A forked child's two messages: the folder's outline (``outline``, at once: it comes first and
    soon; empty for a read that has none), then its read (``take``, from a worker when it may wait: the
    console's first refresh, status's database side; ``accept`` says whether what came back is what
    was asked for). ``close`` (from any thread) abandons it: the child is killed and reaped; a ``take``
    waiting on the pipe then returns None and closes it. One thread reads the pipe at a time
    (``reading``)."""

    def __init__(self, pid: int, fd: int, accept: Callable[[object], bool] = _is_first) -> None:
        self.pid = pid
        self.accept = accept
        self.fd = fd
        self.done = False
        self.reading = False
        self.lock = threading.Lock()
        self.buffer = bytearray()
        self.messages: list[bytes] = []  # whole messages read, in order (the outline, then the state)
        self.ended = False  # the pipe's end was read: nothing more comes
        self.outline_taken = False

    def _claim(self) -> bool:
        with self.lock:
            if self.done or self.reading:
                return False
            self.reading = True
            return True

    def _release(self) -> None:
        """The reading thread is done for now; if ``close`` came meanwhile, the pipe is closed here."""
        with self.lock:
            self.reading = False
            if self.done:
                os.close(self.fd)

    def _fill(self, want: int, *, block: bool) -> None:
        """Read the pipe until ``want`` messages are whole or it ends; not ``block``: only what is there
        now. Called by the one reading thread."""
        while not self.ended and len(self.messages) < want:
            if not block and not select.select([self.fd], [], [], 0)[0]:
                return
            try:
                chunk = os.read(self.fd, 1 << 20)
            except OSError:
                chunk = b""
            if not chunk:
                self.ended = True
                return
            self.buffer += chunk
            self._split()

    def _split(self) -> None:
        while len(self.buffer) >= _HEAD:
            size = int.from_bytes(self.buffer[:_HEAD], "big")
            if len(self.buffer) < _HEAD + size:
                return
            self.messages.append(bytes(self.buffer[_HEAD : _HEAD + size]))
            del self.buffer[: _HEAD + size]

    def outline(self, *, wait: bool = False) -> Outline:
        """The folder's tags, once, if the child has sent them (``wait``: until it has, or has failed);
        None otherwise, or when another thread reads the pipe."""
        if self.outline_taken or not self._claim():
            return None
        try:
            self._fill(1, block=wait)
            if not self.messages and self.buffer:  # it has begun to arrive: the child is writing the rest now
                self._fill(1, block=True)
            if not self.messages:
                return None
            self.outline_taken = True
            body = self.messages[0]
        finally:
            self._release()
        if not body:  # the child had no outline
            return None
        try:
            return body.decode("utf-8", "surrogatepass").split("\0")
        except UnicodeDecodeError:
            return None

    def ready(self) -> bool:
        """The child has sent its state (or ended): ``take`` will not wait."""
        if not self._claim():
            return False
        try:
            self._fill(2, block=False)
            return self.ended or len(self.messages) >= 2
        finally:
            self._release()

    def take(self) -> T | None:
        """Blocks until the child is done; None when the child failed, was interrupted, sent something
        unreadable or was abandoned meanwhile: the caller then reads in-process."""
        if not self._claim():
            return None
        self._fill(2, block=True)
        with self.lock:
            self.reading = False
            abandoned = self.done
            if not abandoned:
                self.done = True
                self._reap(kill=False)  # the state is in (or the pipe ended): the child is leaving
            os.close(self.fd)  # here, not in close(): no other thread reads a reused descriptor
        if abandoned or len(self.messages) < 2:
            return None
        got = _unpickle(self.messages[1])
        return cast(T, got) if self.accept(got) else None

    def close(self) -> None:
        """Stop waiting: the child (killed if still running) is reaped, the pipe closed unless a thread
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


def _unpickle(data: bytes) -> object:
    import pickle

    collecting = gc.isenabled()
    gc.disable()  # tens of thousands of objects at once (5,000 migrations): a third less time without GC passes
    try:
        return pickle.loads(data)
    except Exception:  # an unreadable payload
        return None
    finally:
        if collecting:
            gc.enable()


def fork_read(
    outline: Callable[[], Outline] | None,
    read: Callable[[], T],
    *,
    then_yield: bool = False,
    accept: Callable[[object], bool] = _is_first,
) -> ChildRead[T] | None:
    """Run ``outline`` (None: none) then ``read`` in a forked child; None where forking is not possible
    (the caller reads itself). ``then_yield``: once the outline is sent, the child lowers its own priority (``nice``):
    on a busy machine the parent's first frame, in the same scheduling group (a terminal session is
    one), no longer shares its CPU with the read; with cores free the read runs as fast. Not when the
    child may start the embedded server: that server would keep the priority."""
    if not hasattr(os, "fork") or threading.active_count() > 1:
        return None
    r, w = os.pipe()
    _widen(w)
    try:
        pid = os.fork()
    except OSError:
        os.close(r)
        os.close(w)
        return None
    if pid == 0:  # the child: never returns
        _child(r, w, outline, read, then_yield)
    os.close(w)
    return ChildRead(pid, r, accept)


PIPE_SIZE = 1 << 20  # Linux's default limit for a process that is not privileged (/proc/sys/fs/pipe-max-size)


def _widen(fd: int) -> None:
    """A pipe holds 64 KiB by default: 5,000 tags are more, and the child's write of the outline waited
    for the parent's first read, at the mount, which then found it cut short and painted without it.
    Where the system allows, the pipe holds 1 MiB (about 70,000 tags; most of 5,000 migrations' state)."""
    try:
        import fcntl

        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), PIPE_SIZE)
    except (ImportError, OSError):  # another system, or a lower limit: the default size, as before
        pass


def _send(w: int, data: bytes) -> None:
    view = memoryview(len(data).to_bytes(_HEAD, "big") + data)
    while view:
        view = view[os.write(w, view) :]


def _outline_body(outline: Callable[[], Outline] | None) -> bytes:
    if outline is None:
        return b""
    try:
        tags = outline()
    except Exception:  # noqa: BLE001 - no outline: the first frame waits for the state
        return b""
    if not tags or any("\0" in t for t in tags):  # (a NUL in a journal's tag: no outline, not a wrong one)
        return b""
    return "\0".join(tags).encode("utf-8", "surrogatepass")


def _child(r: int, w: int, outline: Callable[[], Outline] | None, read: Callable[[], object], then_yield: bool) -> None:
    code = 1
    try:
        os.close(r)
        _send(w, _outline_body(outline))  # first: the parent may be composing the frame that shows it
        if then_yield:
            os.nice(10)
        import pickle

        _send(w, pickle.dumps(read(), protocol=pickle.HIGHEST_PROTOCOL))
        code = 0
    except BaseException:  # noqa: BLE001 - a failure, Ctrl-C, a broken pipe: the parent reads in-process
        pass
    finally:
        os._exit(code)
