"""The folder lock every change to a migrations folder is made under (renumber, new, v1 re-parenting).

Taking it first finishes a change another process committed and did not finish, or discards one
it had not committed (``renumber_log``), so the holder always starts from the before or the after
state. The mechanism (flock, workspace, holder) is ``folder_space``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from gtsd_tui.services.folder_space import hold
from gtsd_tui.services.renumber_log import recover_locked


@contextmanager
def folder_lock(folder: Path, command: str, *, wait: float = 10.0) -> Iterator[None]:
    """Hold the folder's exclusive lock; LockTimeout (exit 4) naming the holder after ``wait`` seconds."""
    with hold(folder, command, on_acquire=recover_locked, wait=wait):
        yield
