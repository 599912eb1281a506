"""What a run learns from a migration file, kept for the next run and keyed by what ``stat`` says
(git's index does the same): the SQL files' digests, and each snapshot's head (id, prevId, version,
dialect) so that a warm ``check`` opens no snapshot.

An entry is reused only when size, mtime, ctime and inode all match; ctime changes on every write
and cannot be set back, so an edited file is always read again. A file written less than
``RACY_NS`` before the run is not stored (its timestamps may not have ticked yet), and the file is
stat'ed before it is read, so a write in between makes the next run miss. The cache lives in
``$GTSD_CACHE_DIR``, else ``$XDG_CACHE_HOME/gtsd-tui``, else ``~/.cache/gtsd-tui``: one file per
folder and kind (``digests/<key>.marshal``, ``digests/<key>.heads.marshal``, and the kinds other modules
keep through :class:`StatCache`: ``.hand``, ``.v1facts``), replaced atomically;
anything wrong with it (unreadable, corrupt, truncated, another version or Python) means a cold
read, never an error. ``GTSD_NO_DIGEST_CACHE=1`` turns it off.
"""

from __future__ import annotations

import marshal
import os
import sys
import time
from pathlib import Path

from gtsd_tui.core.keys import sha256_hex
from gtsd_tui.core.migrations.hashing import FileDigest, digest_file

TYPE_CHECKING = False
if TYPE_CHECKING:  # (typing is not imported at start-up)
    from typing import Any

RACY_NS = 2_000_000_000
_FORMAT = ("gtsd-digests", 3, sys.version_info[:2])  # 3: the journal's entries too
_HEADS_FORMAT = ("gtsd-snapshot-heads", 1, sys.version_info[:2])

StatKey = tuple[int, int, int, int]
_NEW = object.__new__
_STAT_AT = os.stat in os.supports_dir_fd


def cache_dir() -> Path:
    explicit = os.environ.get("GTSD_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "gtsd-tui"


def is_snapshot_file(name: str) -> bool:
    """A v0 folder's snapshot among ``meta/``'s files: every ``*.json`` but the journal and hidden files.
    What the folder model reads as snapshots, and what lint's hand-written verdict by stats is keyed by:
    one rule, so that key always covers what the verdict was made from."""
    return name.endswith(".json") and not name.startswith(("_", "."))


def stat_key(st: os.stat_result) -> StatKey:
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


class StatCache:
    """Entries for the files of one folder, ``name -> (stat key, value)``; ``save`` writes back the
    entries this run used or learnt when they differ from the file (entries of files gone are dropped)."""

    def __init__(self, folder: str, suffix: str, fmt: tuple[Any, ...]) -> None:
        self.now_ns = time.time_ns()
        self.fmt = fmt
        self.path: Path | None = None
        self.old: dict[str, Any] = {}
        self.new: dict[str, Any] = {}
        if os.environ.get("GTSD_NO_DIGEST_CACHE"):
            return
        key = sha256_hex(os.path.realpath(folder).encode("utf-8", "surrogateescape"))[:24]
        self.path = cache_dir() / "digests" / f"{key}{suffix}.marshal"
        try:
            with open(self.path, "rb") as fh:
                got, entries = marshal.loads(fh.read())  # 10x faster than marshal.load(fh)
            if got == fmt and isinstance(entries, dict):
                self.old = entries
        except (OSError, EOFError, ValueError, TypeError):
            pass

    @property
    def enabled(self) -> bool:
        return self.path is not None

    def get(self, name: str, key: StatKey) -> Any:
        """The value stored for ``name`` when its stat key is still ``key`` (kept for the save), else None."""
        hit = self.old.get(name)
        if type(hit) is tuple and len(hit) == 2 and hit[0] == key:  # anything else: a miss
            self.new[name] = hit
            return hit[1]
        return None

    def put(self, name: str, st: os.stat_result, value: Any) -> bool:
        """Store a value learnt from a file stat'ed as ``st`` before it was read, unless the file was
        written too recently for its timestamps to be trusted (False then, or when the cache is off)."""
        if self.path is not None and max(st.st_mtime_ns, st.st_ctime_ns) < self.now_ns - RACY_NS:
            self.new[name] = (stat_key(st), value)
            return True
        return False

    def keep(self, name: str, key: tuple[Any, ...], value: Any) -> None:
        """Store a value learnt from files whose stat keys ``key`` holds, each already trusted (taken from
        entries of this cache directory, so not written too recently)."""
        if self.path is not None:
            self.new[name] = (key, value)

    def folder_fd(self, folder: str) -> _FolderFd:
        """``with``: the folder opened once, its files stat'ed relative to it (``fstatat``: no walk of the
        whole path for each of thousands of files); None when the cache is off or the platform lacks it."""
        return _FolderFd(folder if self.path is not None and _STAT_AT else None)

    def save(self) -> None:
        if self.path is None or self.new == self.old:
            return
        import tempfile  # only when the entries changed: a warm run does not load it

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(marshal.dumps((self.fmt, self.new)))
                os.replace(tmp, self.path)  # readers see the old file or the new one, never a part
            except BaseException:
                os.unlink(tmp)
                raise
        except OSError:
            pass  # a read-only home or a full disk: the next run reads the files again


class _FolderFd:
    """The context manager of :meth:`StatCache.folder_fd` (a class: contextlib is not imported at start-up)."""

    def __init__(self, folder: str | None) -> None:
        self.folder = folder
        self.fd: int | None = None

    def __enter__(self) -> int | None:
        if self.folder is not None:
            flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
            self.fd = os.open(self.folder, flags)
        return self.fd

    def __exit__(self, *exc: object) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


JOURNAL_KEY = "meta/_journal.json"  # the journal's entries, beside the SQL files' digests (no SQL file has a /)
_DIGEST_FIELDS = ("hash", "size", "utf8_error_at", "has_bom", "maybe_markers", "nul_at")


class DigestCache(StatCache):
    """Digests for the SQL files of one folder, and its journal's entries."""

    def __init__(self, folder: str) -> None:
        super().__init__(folder, "", _FORMAT)

    def digest(self, name: str, folder: str, dir_fd: int | None = None) -> FileDigest:
        """The digest of the file ``name`` of ``folder``, from the cache when stat matches."""
        if self.path is None:
            return digest_file(f"{folder}/{name}")
        st = os.stat(name, dir_fd=dir_fd) if dir_fd is not None else os.stat(f"{folder}/{name}")
        key = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
        entry = self.old.get(name)  # get(), inlined: 5,000 calls
        if type(entry) is tuple and len(entry) == 2 and entry[0] == key and len(entry[1]) == 6:
            self.new[name] = entry
            cached = _NEW(FileDigest)  # the frozen dataclass's __init__ costs three times this
            cached.__dict__.update(zip(_DIGEST_FIELDS, entry[1], strict=True))
            return cached
        digest = digest_file(f"{folder}/{name}")
        if digest.size == st.st_size:
            fields = (
                digest.hash,
                digest.size,
                digest.utf8_error_at,
                digest.has_bom,
                digest.maybe_markers,
                digest.nul_at,
            )
            self.put(name, st, fields)
        return digest


class HeadCache(StatCache):
    """Snapshot heads ``(id, prevId, version, dialect)`` of the files in ``meta/`` of one folder."""

    def __init__(self, folder: str) -> None:
        super().__init__(folder, ".heads", _HEADS_FORMAT)
