"""Crash-safe multi-file changes to a migrations folder (used by renumber and new).

Everything happens under the folder lock, in a workspace outside the folder (``folder_space``):

1. Prepare: new contents go to ``new/``, a copy of every file that will be renamed, replaced or
   deleted to ``backup/``. The folder has not changed; a run killed here is discarded.
2. ``intent.json`` is written atomically: the commit point. From here on the change is finished.
3. Phase one takes every rename's source and every deleted file OUT of the folder, into
   ``stage/<i>`` / ``trash/<j>`` (temporary names by position, never by target name). Only
   removals happen in this phase, so a name found in the folder is still the original file.
4. ``placed`` is written atomically; phase two moves ``stage/<i>`` to its target name (refusing
   to overwrite anything) and the new contents into place, then updates the git index as
   ``git mv``/``git add`` would (the list of tracked sources was fixed before the commit point).
5. ``intent.json`` is removed (done), then the workspace.

Every step is idempotent, so chained renames (``0003_foo -> 0004_foo`` while
``0004_foo -> 0005_foo``) can be killed anywhere: the next command that opens the folder
(``recover``) finishes the change or discards one that never committed. No byte is lost.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from gtsd_tui.errors import GtsdError, InputError, LockTimeout
from gtsd_tui.services import folder_space as fl

TYPE_CHECKING = False
if TYPE_CHECKING:  # (typing is not imported at start-up)
    from typing import TypeVar

    T = TypeVar("T")
INTENT = "intent.json"
PLACED = "placed"
_KILL_ENV = "GTSD_TEST_KILL_AFTER_STEP"  # test hook: SIGKILL ourselves after step N
_step = 0
_step_pid = 0
_RECOVER_WAIT = 30.0  # seconds a reader waits for a committing holder before exit 4


def _tick() -> None:
    global _step, _step_pid
    if _step_pid != os.getpid():  # counted per process: a forked child does not inherit its parent's steps
        _step, _step_pid = 0, os.getpid()
    _step += 1
    want = os.environ.get(_KILL_ENV)
    if want and int(want) == _step:
        import signal

        os.kill(os.getpid(), signal.SIGKILL)


def _fsync_dir(path: Path) -> None:
    if not path.is_dir():
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_file(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    _write_file(tmp, data)
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _validate(folder: Path, moves: list[tuple[str, str]], writes: dict[str, bytes], deletes: list[str]) -> None:
    """Refuse a change that could overwrite or lose a file, before anything is written."""
    sources = [s for s, _ in moves]
    dests = [d for _, d in moves]
    leaving = set(sources) | set(deletes)
    for src in sources:
        if not (folder / src).is_file():
            raise InputError(f"{folder / src}: missing; the folder changed since the plan was made")
    for name, group in (("rename", sources), ("rename target", dests), ("delete", deletes)):
        if len(set(group)) != len(group):
            raise GtsdError(f"{folder}: the plan has the same {name} twice; nothing changed", exit_code=70)
    for dest in dests:
        if dest in writes or ((folder / dest).exists() and dest not in leaving):
            raise InputError(f"{folder / dest}: already exists; renaming onto it would lose it (nothing changed)")


def _git_lists(
    folder: Path, top: Path | None, moves: list[tuple[str, str]], writes: dict[str, bytes], deletes: list[str]
) -> dict[str, object] | None:
    if top is None:
        return None
    from gtsd_tui.services.gitutil import tracked

    root = top.resolve()
    olds = tracked(top, [folder / s for s, _ in moves] + [folder / d for d in deletes])

    def rel(p: Path) -> str:
        return str(p.resolve().relative_to(root))

    remove = [rel(folder / s) for s, _ in moves if (folder / s).resolve() in olds]
    remove += [rel(folder / d) for d in deletes if (folder / d).resolve() in olds]
    add = [rel(folder / d) for s, d in moves if (folder / s).resolve() in olds] + [rel(folder / w) for w in writes]
    return {"top": str(top), "remove": remove, "add": add}


def commit(
    folder: Path,
    *,
    moves: list[tuple[str, str]],
    writes: dict[str, bytes],
    deletes: list[str],
    git_top: Path | None = None,
) -> None:
    """Apply renames (relative paths), new contents and deletions as one recoverable change."""
    import shutil  # (not at import: every command's start reads the folder through this module)

    global _step
    _step = 0
    with fl.hold(folder, "gtsd-tui", on_acquire=recover_locked):
        _validate(folder, moves, writes, deletes)
        work = fl.workspace_dir(folder)
        for sub in ("new", "backup", "stage", "trash", PLACED):
            if (work / sub).is_dir():
                shutil.rmtree(work / sub)
            elif (work / sub).exists():
                (work / sub).unlink()
        work.mkdir(parents=True, exist_ok=True)
        git = _git_lists(folder, git_top, moves, writes, deletes)
        for rel, data in writes.items():
            _write_file(work / "new" / rel, data)
            _tick()
        for rel in dict.fromkeys([s for s, _ in moves] + deletes + list(writes)):
            if (folder / rel).is_file():
                (work / "backup" / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(folder / rel, work / "backup" / rel)
                _tick()
        _fsync_dir(work / "new")
        intent = {"version": 2, "folder": str(folder.resolve()), "moves": moves, "writes": sorted(writes)}
        intent |= {"deletes": sorted(deletes), "git": git}
        import json

        _write_atomic(work / INTENT, json.dumps(intent, indent=1).encode())
        _tick()
        replay(folder, work)


def _meta_dirs(folder: Path, rels: list[str]) -> set[Path]:
    return {(folder / r).parent for r in rels} | {folder}


def replay(folder: Path, work: Path) -> None:
    """Finish the change described by ``work/intent.json`` (idempotent: safe to run again after a kill)."""
    import json  # (not at start-up: every command that opens the folder imports this module)

    intent = json.loads((work / INTENT).read_text())
    moves = [(str(s), str(d)) for s, d in intent["moves"]]
    deletes = [str(d) for d in intent["deletes"]]
    writes = [str(w) for w in intent["writes"]]
    stage, trash = work / "stage", work / "trash"
    touched = _meta_dirs(folder, [d for _, d in moves] + [s for s, _ in moves] + deletes + writes)
    if not (work / PLACED).exists():
        stage.mkdir(exist_ok=True)
        trash.mkdir(exist_ok=True)
        for i, (src, _dest) in enumerate(moves):
            if (folder / src).exists() and not (stage / str(i)).exists():
                os.rename(folder / src, stage / str(i))
                _tick()
        for j, rel in enumerate(deletes):
            if (folder / rel).exists() and not (trash / str(j)).exists():
                os.rename(folder / rel, trash / str(j))
                _tick()
        for d in (*touched, stage, trash):
            _fsync_dir(d)
        _write_atomic(work / PLACED, b"")
        _tick()
    for i, (_src, dest) in enumerate(moves):
        staged, target = stage / str(i), folder / dest
        if not staged.exists():
            continue
        if target.exists():
            if os.path.samefile(staged, target):
                staged.unlink()
                continue
            raise GtsdError(f"{target}: appeared during a renumber; the workspace {work} is kept", exit_code=70)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.rename(staged, target)
        _tick()
    for rel in writes:
        if (work / "new" / rel).exists():
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            os.replace(work / "new" / rel, folder / rel)
            _tick()
    for d in touched:
        _fsync_dir(d)
    git = intent.get("git")
    if git:
        from gtsd_tui.services.gitutil import stage_paths

        stage_paths(Path(git["top"]), list(git["remove"]), list(git["add"]))
        _tick()
    (work / INTENT).unlink()
    _fsync_dir(work)
    _tick()
    fl.remove_workspace(work)


def recover_locked(folder: Path, notify: Callable[[str], None]) -> None:
    """With the folder lock held: finish a committed change, discard an uncommitted one."""
    for work in fl.candidate_dirs(folder):
        if not work.is_dir():
            continue
        if work.name == fl.LEGACY_DIR:
            _legacy(folder, work, notify)
        elif (work / INTENT).exists():
            notify(f"{folder}: finishing an interrupted renumber (workspace {work})")
            replay(folder, work)
        else:
            if any((work / sub).exists() for sub in ("new", "backup")):
                notify(f"{folder}: discarding an interrupted renumber that had not committed")
            fl.remove_workspace(work)


def _legacy(folder: Path, work: Path, notify: Callable[[str], None]) -> None:
    if (work / INTENT).exists():
        raise InputError(
            f"{work / INTENT}: an interrupted renumber from an earlier gtsd-tui version; finish it with that "
            f"version, or restore the files from {work / 'backup'} and delete {work}"
        )
    notify(f"{folder}: removing {work.name}/ (the backup an earlier gtsd-tui version left inside the folder)")
    import shutil

    shutil.rmtree(work, ignore_errors=True)


def recover(folder: Path, notify: Callable[[str], None]) -> None:
    """Called by every command that opens the folder: bring it to the before or the after state."""
    if not folder.is_dir() or fl.held(folder):
        return
    dirs = [d for d in fl.candidate_dirs(folder) if d.is_dir()]
    if not dirs:
        return
    committed = any((d / INTENT).exists() for d in dirs)
    with fl.try_folder_lock(folder, wait=_RECOVER_WAIT if committed else 0) as got:
        if got:
            recover_locked(folder, notify)
        elif committed:
            raise LockTimeout(f"{folder}: a renumber by {fl.holder_text(folder)} is still committing; try again")


def read_if_stable(folder: Path, read: Callable[[], T]) -> T | None:
    """``read()`` once, without waiting or recovering: None when another process's change is under way
    or was left half-done (``read_stable`` deals with those), or when the folder moved during the read."""
    if fl.held(folder) or any(d.is_dir() for d in fl.candidate_dirs(folder)):
        return None
    before = _stamp(folder)
    result = read()
    if _stamp(folder) != before or _committing(folder):
        return None
    return result


def _stamp(folder: Path) -> tuple[int | None, ...]:
    """What a change to the folder moves: the folder's and meta/'s mtimes (renames in them) and the
    workspaces' (made, committed, removed by a change; v1 snapshot rewrites go through them too)."""

    def mtime(p: Path) -> int | None:
        try:
            return p.stat().st_mtime_ns
        except OSError:
            return None

    return tuple(mtime(p) for p in (folder, folder / "meta", *fl.candidate_dirs(folder)))


def _committing(folder: Path) -> bool:
    return any((d / INTENT).exists() for d in fl.candidate_dirs(folder))


def read_stable(folder: Path, read: Callable[[], T], notify: Callable[[str], None]) -> T:
    """``read()`` of the folder as it is before or after another process's change, never halfway: a
    seqlock without taking the folder lock (a reader must not wait out renumber's y/N prompt). A read
    that overlapped a commit, or saw the folder change under it, is done again, after ``recover`` (which
    waits for a live committer, exit 4 after 30 s, or finishes a dead one's change)."""
    if fl.held(folder):  # our own change: its reads see what it wrote
        return read()
    for _ in range(100):
        before = _stamp(folder)
        if not _committing(folder):
            try:
                result = read()
            except (InputError, OSError):  # OSError: a file renamed away between the listing and its read
                if _stamp(folder) == before and not _committing(folder):
                    raise  # the folder really is like that
            else:
                if _stamp(folder) == before and not _committing(folder):
                    return result
        recover(folder, notify)
        time.sleep(0.01)
    raise LockTimeout(f"{folder}: the folder kept changing while it was read (by {fl.holder_text(folder)}); try again")
