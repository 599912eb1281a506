"""``drizzle-kit generate`` and ``check`` run once per input in a test run, not once per server.

Every database test runs once per PostgreSQL (``[default]``, ``[pg15]``), and the same steps of the same
test call the real drizzle-kit with the same project: the same TypeScript schema, config and migration
folder, byte for byte. The kit's answer is a function of those files (and of the clock and random ids,
which is why a test's own calls never share: the key holds the test, its parameters other than the
server, and the call's place in the test). The first run of a step runs the real kit and keeps what it
printed, its exit code and every file it wrote; the same step of the other server's run gets exactly
those back. Any difference in the inputs (the folder gtsd-tui wrote, a changed schema) is another key,
and the real kit runs. ``push``, ``pull``, ``up`` and the migrators always run: they touch a database or
are not asked twice.

The cache lives for one pytest run, in a folder the controlling process makes (``GTSD_TEST_KIT_CACHE``)
and every xdist worker shares; ``GTSD_TEST_KIT_CACHE=off`` turns it off.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

ENV = "GTSD_TEST_KIT_CACHE"
CACHED = ("generate", "check")
SKIP_DIRS = {"node_modules", ".git"}

_lock = threading.Lock()
_calls: dict[str, int] = {}


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


def _context() -> str:
    """The running test and phase, without the server's parameter; and this call's place in it."""
    current = os.environ.get("PYTEST_CURRENT_TEST", "")

    def drop_server(m: re.Match[str]) -> str:
        kept = [p for p in m.group(1).split("-") if p != "default" and not re.fullmatch(r"pg\d+", p)]
        return "[" + "-".join(kept) + "]"

    with _lock:
        _calls[current] = _calls.get(current, 0) + 1
        n = _calls[current]
    test = re.sub(r"\[(.*)\]", drop_server, current)
    return f"{test}#{n}"


def kit_run(
    cmd: list[str], cwd: Path, run: Callable[[], subprocess.CompletedProcess[str]]
) -> subprocess.CompletedProcess[str]:
    """``run()`` (the real ``drizzle-kit`` ``cmd`` in ``cwd``), or what the same step gave before."""
    folder = os.environ.get(ENV, "")
    if not folder or folder == "off" or len(cmd) < 2 or cmd[1] not in CACHED:
        return run()
    before = _tree(cwd)
    h = hashlib.sha256()
    for part in (_context(), os.path.realpath(cmd[0]), *cmd[1:]):
        h.update(part.encode() + b"\0")
    for rel in sorted(before):
        h.update(rel.encode() + b"\0" + hashlib.sha256(before[rel]).digest())
    entry = Path(folder) / h.hexdigest()
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
