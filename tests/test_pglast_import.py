"""pglast's first import from several threads at once (a rehearsal loads the parser beside the run
while the main thread splits statements): never a partially initialised module."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import threading
from gtsd_tui.core.sql import stmt_split, sqlinfo
from gtsd_tui.services.rehearse import _load_the_run
start = threading.Barrier(4)
errors = []
def go(fn):
    start.wait()
    try:
        fn()
    except Exception as exc:
        errors.append(repr(exc))
ts = [threading.Thread(target=go, args=(f,)) for f in (
    _load_the_run,
    lambda: stmt_split.relations("ALTER TABLE a ADD b int"),
    lambda: stmt_split.first_token("-- c\\nSELECT 1"),
    lambda: sqlinfo.parse("SELECT 1"),
)]
[t.start() for t in ts]
[t.join() for t in ts]
print(errors)
"""


def test_first_import_from_four_threads_at_once() -> None:
    for _ in range(10):
        r = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60)
        assert r.returncode == 0 and r.stdout.strip() == "[]", r.stdout + r.stderr
