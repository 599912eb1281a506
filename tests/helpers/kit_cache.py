"""``drizzle-kit generate`` and ``check`` run once per input in a test run, not once per test and server.

Every database test runs once per PostgreSQL (``[default]``, ``[pg15]``), and many tests build the same
project (the same TypeScript schema, config and migration folder, byte for byte) before they diverge.
The kit's answer is a function of those files, and of the clock and random ids: any answer it gave for
the same files is one it could give now. So the first call with a project runs the real kit and keeps
what it printed, its exit code and every file it wrote; a later call with the same files, in any test,
gets exactly those back. The key is the kit binary, the arguments, every byte of the project except
``node_modules`` and ``.git`` (the folder with every id and timestamp written so far: a shared answer
always continues the history it was made on), and how many times this test run has asked for these
same files: a test that generates twice from the same files (and expects two different ids) gets two
different real answers. ``push``, ``pull``, ``up`` and the migrators always run: they touch a database
or are not asked twice.

The cache lives for one pytest run, in a folder the controlling process makes (``GTSD_TEST_KIT_CACHE``)
and every xdist worker shares; ``GTSD_TEST_KIT_CACHE=off`` turns it off.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

ENV = "GTSD_TEST_KIT_CACHE"
CACHED = ("generate", "check")
SKIP_DIRS = {"node_modules", ".git"}

_lock = threading.Lock()
_calls: dict[tuple[str, str], int] = {}


def _tree(root: Path) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        for name in filenames:
            path = os.path.join(dirpath, name)
            if not os.path.islink(path):
                with open(path, "rb") as f:
                    out[os.path.relpath(path, root)] = f.read()
    return out


def _occurrence(digest: str) -> int:
    """How many times the running test (this server's run of it) has asked for these same files."""
    key = (os.environ.get("PYTEST_CURRENT_TEST", ""), digest)
    with _lock:
        _calls[key] = _calls.get(key, 0) + 1
        return _calls[key]


def kit_run(
    cmd: list[str], cwd: Path, run: Callable[[], subprocess.CompletedProcess[str]]
) -> subprocess.CompletedProcess[str]:
    """``run()`` (the real ``drizzle-kit`` ``cmd`` in ``cwd``), or what the same step gave before."""
    folder = os.environ.get(ENV, "")
    if not folder or folder == "off" or len(cmd) < 2 or cmd[1] not in CACHED:
        return run()
    before = _tree(cwd)
    h = hashlib.sha256()
    for part in (os.path.realpath(cmd[0]), *cmd[1:]):
        h.update(part.encode() + b"\0")
    for rel in sorted(before):
        h.update(rel.encode() + b"\0" + hashlib.sha256(before[rel]).digest())
    digest = h.hexdigest()
    entry = Path(folder) / f"{digest}.{_occurrence(digest)}"
    if entry.exists():
        code, out, err, changes = pickle.loads(entry.read_bytes())
        for rel, data in changes.items():
            path = cwd / rel
            if data is None:
                path.unlink(missing_ok=True)
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
        return subprocess.CompletedProcess(cmd, code, out, err)
    result = run()
    after = _tree(cwd)
    changes = {rel: after.get(rel) for rel in before.keys() | after.keys() if before.get(rel) != after.get(rel)}
    tmp = entry.with_name(f"{entry.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_bytes(pickle.dumps((result.returncode, result.stdout, result.stderr, changes)))
    os.replace(tmp, entry)
    return result
