"""Crash-safe multi-file changes to a migrations folder (used by renumber and new).

1. Everything new is written under ``<folder>/.gtsd-renumber/new/`` and the originals that
   will be replaced are copied to ``.gtsd-renumber/backup/``. Nothing in the folder changed yet.
2. ``intent.json`` is written atomically: the commit point.
3. The intent is replayed: sources are moved aside, replaced files deleted, everything moved
   into place. Every step is idempotent, so a run killed at any point is finished by the next
   command that opens the folder (``recover``); without an intent, the leftovers are discarded.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
from collections.abc import Callable
from pathlib import Path

from gtsd_tui.core.folder import WORK_DIR

INTENT = "intent.json"
_KILL_ENV = "GTSD_TEST_KILL_AFTER_STEP"  # test hook: SIGKILL ourselves after step N
_step = 0


def _tick() -> None:
    global _step
    _step += 1
    want = os.environ.get(_KILL_ENV)
    if want and int(want) == _step:
        os.kill(os.getpid(), signal.SIGKILL)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def commit(
    folder: Path,
    *,
    moves: list[tuple[str, str]],
    writes: dict[str, bytes],
    deletes: list[str],
    after: Callable[[list[tuple[Path, Path]], list[Path]], None] | None = None,
) -> None:
    """Apply renames (relative paths), new contents and deletions as one recoverable change."""
    global _step
    _step = 0
    work = folder / WORK_DIR
    if work.exists():
        shutil.rmtree(work)
    (work / "new").mkdir(parents=True)
    (work / "backup").mkdir()
    (work / ".gitignore").write_text("*\n")  # git ignores the whole work area, this file included
    for rel, data in writes.items():
        dest = work / "new" / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(data)
        _tick()
    for rel in set(deletes) | set(writes):
        src = folder / rel
        if src.is_file():
            backup = work / "backup" / rel
            backup.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, backup)
    intent = {"moves": moves, "writes": sorted(writes), "deletes": sorted(deletes)}
    _write_atomic(work / INTENT, json.dumps(intent, indent=1).encode())
    _tick()
    replay(folder)
    if after is not None:
        after([(folder / a, folder / b) for a, b in moves], [folder / w for w in writes])


def replay(folder: Path) -> None:
    work = folder / WORK_DIR
    intent = json.loads((work / INTENT).read_text())
    stage = work / "stage"
    stage.mkdir(exist_ok=True)
    for src, dest in intent["moves"]:
        if (folder / src).exists() and not (stage / dest).exists():
            (stage / dest).parent.mkdir(parents=True, exist_ok=True)
            os.rename(folder / src, stage / dest)
            _tick()
    for rel in intent["deletes"]:
        if (folder / rel).exists():
            (folder / rel).unlink()
            _tick()
    for _src, dest in intent["moves"]:
        if (stage / dest).exists():
            (folder / dest).parent.mkdir(parents=True, exist_ok=True)
            os.rename(stage / dest, folder / dest)
            _tick()
    for rel in intent["writes"]:
        if (work / "new" / rel).exists():
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            os.replace(work / "new" / rel, folder / rel)
            _tick()
    _fsync_dir(folder)
    if (folder / "meta").is_dir():
        _fsync_dir(folder / "meta")
    (work / INTENT).unlink()
    _tick()
    _finish(work)


def _finish(work: Path) -> None:
    """Keep the backup of what was replaced; drop the rest of the work area."""
    for name in ("new", "stage"):
        shutil.rmtree(work / name, ignore_errors=True)


def recover(folder: Path, notify: Callable[[str], None]) -> None:
    """Finish an interrupted change (intent written) or discard one that never committed."""
    work = folder / WORK_DIR
    if not work.is_dir():
        return
    if (work / INTENT).exists():
        notify(f"{folder}: finishing an interrupted renumber")
        replay(folder)
    elif (work / "new").exists():
        notify(f"{folder}: discarding an interrupted renumber that had not committed")
        _finish(work)
