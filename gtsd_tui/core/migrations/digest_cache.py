"""Digests of migration files kept between runs, keyed by what ``stat`` says (git's index does the same).

An entry is reused only when size, mtime, ctime and inode all match; ctime changes on every write
and cannot be set back, so an edited file is always read again. A file written less than
``RACY_NS`` before the run is not stored (its timestamps may not have ticked yet), and the file is
stat'ed before it is read, so a write in between makes the next run miss. The cache lives in
``$GTSD_CACHE_DIR``, else ``$XDG_CACHE_HOME/gtsd-tui``, else ``~/.cache/gtsd-tui``; anything
wrong with it (unreadable, corrupt, another Python) means a cold read, never an error.
``GTSD_NO_DIGEST_CACHE=1`` turns it off.
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
_FORMAT = ("gtsd-digests", 2, sys.version_info[:2])


def cache_dir() -> Path:
    explicit = os.environ.get("GTSD_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "gtsd-tui"


class DigestCache:
    """Digests for the files of one folder; ``save`` writes them back when they differ from the file."""

    def __init__(self, folder: str) -> None:
        self.now_ns = time.time_ns()
        self.path: Path | None = None
        self.old: dict[str, Any] = {}
        self.new: dict[str, Any] = {}
        if os.environ.get("GTSD_NO_DIGEST_CACHE"):
            return
        key = sha256_hex(os.path.realpath(folder).encode("utf-8", "surrogateescape"))[:24]
        self.path = cache_dir() / "digests" / f"{key}.marshal"
        try:
            with open(self.path, "rb") as fh:
                fmt, entries = marshal.loads(fh.read())  # 10x faster than marshal.load(fh)
            if fmt == _FORMAT and isinstance(entries, dict):
                self.old = entries
        except (OSError, EOFError, ValueError, TypeError):
            pass

    def digest(self, entry: os.DirEntry[str]) -> FileDigest:
        """The digest of a file of the folder, from the cache when stat matches."""
        if self.path is None:
            return digest_file(entry.path)
        name = entry.name
        st = entry.stat()
        key = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
        hit = self.old.get(name)
        if hit is not None and hit[0] == key:
            self.new[name] = hit
            return FileDigest(*hit[1])
        digest = digest_file(entry.path)
        if digest.size == st.st_size and max(st.st_mtime_ns, st.st_ctime_ns) < self.now_ns - RACY_NS:
            fields = (
                digest.hash,
                digest.size,
                digest.utf8_error_at,
                digest.has_bom,
                digest.maybe_markers,
                digest.nul_at,
            )
            self.new[name] = (key, fields)
        return digest

    def save(self) -> None:
        if self.path is None or self.new == self.old:
            return
        import tempfile  # only when the digests changed: a warm run does not load it

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(marshal.dumps((_FORMAT, self.new)))
                os.replace(tmp, self.path)
            except BaseException:
                os.unlink(tmp)
                raise
        except OSError:
            pass  # a read-only home or a full disk: the next run reads the files again
