"""How the process entries leave (the ``gtsd-tui`` script, the command git runs for the merge driver and
the hooks), and the cyclic collector they pause while importing (:func:`pause_gc`, :func:`resume_gc`):
``sys.exit(code)``, or, when nothing is left for the interpreter's own exit to do,
``os._exit(code)`` once both outputs are flushed.

The interpreter's exit (clearing every module, collecting and freeing every object) costs a hook's run
about a sixth of its time (docs/startup.md). It does nothing a run of ``check``, ``lint``, the driver or
a hook needs: their files are written and closed before they return. It is skipped only when nothing
else waits for it: no ``atexit`` callback (a temporary folder of the embedded server, a weakref
finalizer), ``threading`` never imported (its shutdown joins threads; a process pool registers its own
exit hook there), and both outputs flushed without an error (a closed pipe: the normal exit reports it
as it always has). Anything else leaves through ``sys.exit`` as before.
"""

from __future__ import annotations

import os
import sys


def quick_exit_ok() -> bool:
    """Nothing is left for the interpreter's exit but freeing memory (the outputs not yet flushed).
    Python code registers an exit callback through the ``atexit`` module: never imported, none."""
    if sys.implementation.name != "cpython" or "threading" in sys.modules:
        return False
    atexit = sys.modules.get("atexit")
    if atexit is None:
        return True
    count = getattr(atexit, "_ncallbacks", None)  # CPython's
    return count is not None and count() == 0


def leave(code: int) -> int:
    """``os._exit(code)`` after flushing both outputs when :func:`quick_exit_ok`; else returns ``code``
    (the caller's ``sys.exit`` then exits as the interpreter always did)."""
    if not quick_exit_ok():
        return code
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except (OSError, ValueError):  # a closed pipe, a closed stream: the usual exit says what it says
        return code
    os._exit(code)


_paused = False


def pause_gc() -> None:
    """Pause the cyclic garbage collector for the imports of a start. Importing makes thousands of
    objects (functions, classes, code) of which none is garbage, and every 700 allocations start a pass
    over the youngest of them (the older ones too at every tenth and hundredth): 1–2% of a hook's
    run. :func:`resume_gc` turns it back on; the commands pause it again over their own work where
    they know it makes no cycles (``commands/output``, the lint engine)."""
    global _paused
    import gc

    if gc.isenabled():
        gc.disable()
        _paused = True


def resume_gc() -> None:
    """Undo :func:`pause_gc` (nothing if it paused nothing)."""
    global _paused
    if _paused:
        import gc

        gc.enable()
        _paused = False
