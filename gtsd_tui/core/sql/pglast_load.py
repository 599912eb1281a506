"""pglast imported once, by one thread at a time.

A rehearsal imports the parser in a worker thread while the copy is made; the main thread may reach
a ``from pglast.parser import ...`` at the same moment. Python's per-module import locks then let one
thread see the other's partially initialised ``pglast`` (``ImportError: cannot import name
'fingerprint' from partially initialized module 'pglast.parser'``). Every first use goes through
:func:`ensure_pglast`, which imports the whole package under one lock; later calls cost a flag test.
"""

from __future__ import annotations

import threading

_lock = threading.Lock()
_loaded = False


def ensure_pglast() -> None:
    global _loaded
    if _loaded:
        return
    with _lock:
        if not _loaded:
            import pglast
            import pglast.ast
            import pglast.enums
            import pglast.parser  # noqa: F401

            _loaded = True
