"""The folder lock's mechanism and where renumber's crash-safety workspace lives (never inside the folder).

The lock is ``flock(LOCK_EX)`` on the migrations folder's own directory descriptor: nothing is
created inside the folder, it cannot be left stale (the kernel drops it when the process dies),
and there is no lock file to unlink under a waiter. Who holds it is written to ``holder.json``
in the workspace, only for the message a waiting run prints. Locks are re-entrant within one
process (the CLI holds it for plan + commit; the services it calls take it again).

The workspace: ``git rev-parse --git-path gtsd-renumber/<hash of the folder path>`` when the folder
is in a git work tree (on the folder's filesystem), else ``.<folder name>.gtsd-renumber`` next to
the folder. Renames into place need the same filesystem, so a workspace on another one is refused.

``services/folder_lock.py`` gives the lock every change takes (it finishes an interrupted change on
acquiring); ``renumber_log`` builds on this module.
"""

from __future__ import annotations

import errno
import os
import time
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path
from stat import S_ISDIR as stat_is_dir
from stat import S_ISREG as stat_is_reg

from gtsd_tui.core.keys import sha256_hex
from gtsd_tui.errors import InputError, LockTimeout
from gtsd_tui.services.notify import stderr_notify

TYPE_CHECKING = False
if TYPE_CHECKING:
    from contextlib import AbstractContextManager
    from typing import Literal

    from gtsd_tui.services.notify import Notify

LEGACY_DIR = ".gtsd-renumber"  # inside the folder, written by earlier versions
HOLDER = "holder.json"
_held: dict[str, list[int]] = {}  # resolved folder -> [fd, depth]


def _key(folder: Path) -> str:
    return str(folder.resolve())


def folder_hash(folder: Path) -> str:
    return sha256_hex(_key(folder).encode())[:16]


def sibling_dir(folder: Path) -> Path:
    folder = folder.resolve()
    return folder.parent / f".{folder.name}.gtsd-renumber"


# git's own discovery depends on these: with any of them set, git is asked
_DISCOVERY_ENV = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_COMMON_DIR",
    "GIT_CEILING_DIRECTORIES",
    "GIT_DISCOVERY_ACROSS_FILESYSTEM",
)


def _plain_git_dir(folder: Path) -> Path | None | Literal[False]:
    """``git rev-parse --git-path gtsd-renumber/<hash>`` worked out without starting git, in the plain
    case: walking up from the folder (within its filesystem, as git does) to a ``.git`` of the user's (a
    repository, or the ``gitdir:`` file of a linked work tree or a submodule). None: no repository above
    (git would fail too). False: anything else (another owner, git's variables set, a ``.git`` that does
    not look like a repository): ask git. Every command that opens the folder asks this (``recover``,
    ``read_stable``)."""
    if any(v in os.environ for v in _DISCOVERY_ENV):
        return False
    dev = os.stat(folder).st_dev
    for d in (folder, *folder.parents):
        try:
            st = os.stat(d)
        except OSError:
            return False
        if st.st_dev != dev:
            return None  # git stops at a filesystem boundary
        dotgit = d / ".git"
        try:
            gst = os.lstat(dotgit)
        except FileNotFoundError:
            continue
        except OSError:
            return False
        gitdir = _repository_at(dotgit, gst) if gst.st_uid == st.st_uid == os.geteuid() else None
        # not a path git shares between work trees: the per-work-tree git directory's own
        return False if gitdir is None else (gitdir / "gtsd-renumber" / folder_hash(folder)).resolve()
    return None


def _repository_at(dotgit: Path, gst: os.stat_result) -> Path | None:
    """The git directory ``.git`` stands for: itself, or what a ``.git`` file of a linked work tree or a
    submodule names (``gitdir: PATH``); None when it does not look like a repository (git is asked)."""
    if stat_is_reg(gst.st_mode):
        try:
            line = dotgit.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError):
            return None
        if not line.startswith("gitdir: ") or "\n" in line:
            return None
        gitdir = dotgit.parent / line[len("gitdir: ") :]
        shared = (gitdir / "commondir").is_file() or (gitdir / "objects").is_dir()
        return gitdir if shared and (gitdir / "HEAD").is_file() else None
    if stat_is_dir(gst.st_mode) and (dotgit / "HEAD").is_file() and (dotgit / "objects").is_dir():
        return dotgit if (dotgit / "refs").is_dir() else None
    return None


@lru_cache(maxsize=32)
def _git_dir(key: str) -> Path | None:
    plain = _plain_git_dir(Path(key))
    return _git_dir_by_git(key) if plain is False else plain


def _git_dir_by_git(key: str) -> Path | None:
    import subprocess

    folder = Path(key)
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--git-path", f"gtsd-renumber/{folder_hash(folder)}"],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    path = out.stdout.strip()
    if out.returncode != 0 or not path:
        return None
    return (folder / path).resolve()


def _existing_parent(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def workspace_dir(folder: Path) -> Path:
    """Where this folder's workspace goes: under .git/ in a work tree, else next to the folder."""
    key = _key(folder)
    dev = os.stat(key).st_dev
    git = _git_dir(key)
    if git is not None and os.stat(_existing_parent(git)).st_dev == dev:
        return git
    sib = sibling_dir(folder)
    if os.stat(_existing_parent(sib)).st_dev != dev:
        raise InputError(f"{folder}: its parent folder is on another filesystem; renumber cannot stage there")
    return sib


def candidate_dirs(folder: Path) -> list[Path]:
    """Every place a workspace of this folder may be (current, the other kind, an earlier version's)."""
    key = _key(folder)
    out = [sibling_dir(folder), Path(key) / LEGACY_DIR]
    git = _git_dir(key)
    if git is not None:
        out.insert(0, git)
    return out


def held(folder: Path) -> bool:
    return _key(folder) in _held


def _try_flock(fd: int) -> bool:
    try:
        import fcntl  # (here: a command that only reads the folder never locks it)

        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError as exc:
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            return False
        raise


def holder_text(folder: Path) -> str:
    import json  # (not at start-up: every command that opens the folder imports this module)

    for work in candidate_dirs(folder):
        try:
            info = json.loads((work / HOLDER).read_text())
            since = time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(float(info["since"])))
            return f"pid {info['pid']} ({info['command']}, since {since})"
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return "another process (no holder information)"


def _write_holder(folder: Path, command: str) -> None:
    try:
        work = workspace_dir(folder)
        work.mkdir(parents=True, exist_ok=True)
        import json

        info = {"pid": os.getpid(), "command": command, "since": time.time()}
        tmp = work / (HOLDER + ".tmp")
        tmp.write_text(json.dumps(info))
        os.replace(tmp, work / HOLDER)
    except OSError:
        pass  # only used for the message of a waiting run


def _drop_workspace(folder: Path) -> None:
    """After the holder is done: remove what it left, unless an intent says it must be replayed."""
    for work in candidate_dirs(folder):
        if work.name == LEGACY_DIR:
            continue
        if work.is_dir() and not (work / "intent.json").exists():
            remove_workspace(work)


def remove_workspace(work: Path) -> None:
    import shutil

    shutil.rmtree(work, ignore_errors=True)
    if work.parent.name == "gtsd-renumber":
        try:
            work.parent.rmdir()  # .git/gtsd-renumber/ once no other folder's workspace is in it
        except OSError:
            pass


def hold(
    folder: Path, command: str, *, on_acquire: Callable[[Path, Notify], None], wait: float = 10.0
) -> AbstractContextManager[None]:
    """Hold the folder's exclusive lock; LockTimeout (exit 4) naming the holder after ``wait`` seconds.
    ``on_acquire`` runs once the lock is taken (not on a re-entry), before anything else."""
    from contextlib import contextmanager  # (here: every command that opens the folder imports this module)

    return contextmanager(_hold)(folder, command, on_acquire, wait)


def _hold(folder: Path, command: str, on_acquire: Callable[[Path, Notify], None], wait: float) -> Iterator[None]:
    key = _key(folder)
    if key in _held:
        _held[key][1] += 1
        try:
            yield
        finally:
            _held[key][1] -= 1
        return
    try:
        fd = os.open(key, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            raise InputError(f"{folder}: migrations folder not found (use --migrations DIR)") from None
        raise InputError(f"{folder}: cannot open the migrations folder ({exc.strerror})") from None
    try:
        deadline = time.monotonic() + wait
        delay = 0.02
        told = False
        while not _try_flock(fd):
            left = deadline - time.monotonic()
            if left <= 0:
                raise LockTimeout(
                    f"{folder}: locked by {holder_text(folder)}; waited {wait:g}s "
                    "(another renumber or new is changing this folder)"
                )
            if not told and wait - left >= 0.2:  # the holder has had time to say who it is
                stderr_notify(f"waiting up to {wait:g}s for the folder lock held by {holder_text(folder)}")
                told = True
            time.sleep(min(delay, left))
            delay = min(delay * 2, 0.25)
        _held[key] = [fd, 1]
        try:
            on_acquire(folder, stderr_notify)
            _write_holder(folder, command)
            yield
        finally:
            del _held[key]
            _drop_workspace(folder)
    finally:
        os.close(fd)  # closing the descriptor releases the flock


def try_folder_lock(folder: Path, *, wait: float) -> AbstractContextManager[bool]:
    """Like folder_lock for a reader that recovers: yields False when not acquired within ``wait``."""
    from contextlib import contextmanager

    return contextmanager(_try_folder_lock)(folder, wait)


def _try_folder_lock(folder: Path, wait: float) -> Iterator[bool]:
    key = _key(folder)
    if key in _held:
        yield True
        return
    fd = os.open(key, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        deadline = time.monotonic() + wait
        got = _try_flock(fd)
        while not got and time.monotonic() < deadline:
            time.sleep(0.05)
            got = _try_flock(fd)
        if got:
            _held[key] = [fd, 1]
        try:
            yield got
        finally:
            _held.pop(key, None)
    finally:
        os.close(fd)
