"""What a plan was made from: every file of a migrations folder by name, size, mtime and inode.

A module of its own (only ``os``): ``migrate`` compares the stamp before and after it takes the lock
without loading the renumber machinery of :mod:`gtsd_tui.services.folder_ops`.
"""

from __future__ import annotations

import os
from pathlib import Path


def fingerprint(folder: Path) -> tuple[tuple[str, int, int, int], ...]:
    """Name, size, mtime and inode of every file in the folder and meta/: what a plan was made from."""
    out = []
    for d in (folder, folder / "meta"):
        try:
            with os.scandir(d) as it:
                for e in it:
                    if e.is_file(follow_symlinks=False):
                        st = e.stat(follow_symlinks=False)
                        out.append((os.path.relpath(e.path, folder), st.st_size, st.st_mtime_ns, st.st_ino))
        except OSError:
            continue
    return tuple(sorted(out))
