"""The process entries (the ``gtsd-tui`` script; the command git runs for the merge driver and the hooks),
with two standard modules loaded only when something uses them.

A hook's run (``check --offline``, the driver, the hooks ``git install`` writes) is mostly the
interpreter's start and imports (docs/startup.md). Two standard modules are imported on every such run
by modules that do not use them there:

- ``urllib.parse`` (with ``ipaddress``, which it imports at the top, and ``re``, whose patterns it
  compiles at the top): ``pathlib`` imports it for ``Path.as_uri`` alone;
- ``re`` (with ``enum`` for its flags, and its compiler): ``pathlib`` and ``fnmatch`` import it for
  globbing, and our modules compile their patterns on first use.

:func:`defer_stdlib` registers each of them in ``sys.modules`` as the module object the import system
would make from the same file, its code not yet run. The first look at one of its attributes (``re.sub``,
``urllib.parse.urlsplit``, ``from re import Pattern``, ``from urllib.parse import *``) runs the module's
own code in that object, once, under a lock, as ``importlib.util.LazyLoader`` does; from then on it is
the ordinary module. ``pathlib`` takes ``quote_from_bytes`` by name at its import: that name is set
beforehand to a function that runs the module and calls the real one. A module already imported (pip's
console script imports ``re`` before anything of ours) is left as it is. Under ``-X importtime`` the
run of a deferred module writes its own ``import time:`` line (its cumulative time in both columns), so
the traces still show every module a run used.

Only these entries defer anything: importing ``gtsd_tui`` as a library, ``python -m gtsd_tui`` and the
tests import as usual.
"""

from __future__ import annotations

import _thread
import sys

from gtsd_tui.process_exit import pause_gc, resume_gc

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import ModuleType

__all__ = ["cli", "defer_stdlib", "git", "pause_gc", "resume_gc", "run"]

# (module, attributes taken from it by name at another module's import: set beforehand to a stand-in)
DEFERRED: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("re", ()),
    ("urllib.parse", ("quote_from_bytes",)),
    # the rest of what ``pathlib`` imports for what these paths do not do: Windows paths, globbing,
    # deprecation warnings (the interpreter's own warnings look the module's attributes up: they run it)
    ("ntpath", ()),
    ("fnmatch", ()),
    ("warnings", ()),
)
_lock = _thread.RLock()
_pending: dict[str, ModuleType] = {}  # registered, code not run yet


def defer_stdlib() -> None:
    """Register each module of :data:`DEFERRED` not imported yet (see the module's text). Where the
    import system's own functions are not there (not CPython), nothing is deferred."""
    try:
        from _frozen_importlib import _find_spec, _ModuleLockManager, module_from_spec  # type: ignore[attr-defined]  # noqa: F401
    except ImportError:
        return
    for name, early in DEFERRED:
        if name not in sys.modules:
            _defer(name, early)


def _defer(name: str, early: tuple[str, ...]) -> None:
    from _frozen_importlib import _find_spec, module_from_spec  # type: ignore[attr-defined]  # (no import)

    parent_name, _, child = name.rpartition(".")
    parent = __import__(parent_name) if parent_name else None  # (``urllib``'s __init__ is empty)
    spec = _find_spec(name, getattr(parent, "__path__", None))
    if spec is None or spec.loader is None:
        return
    module = module_from_spec(spec)

    def __getattr__(attr: str) -> object:
        # a dunder the import system looks for (``__path__``, ``__getattr__``...) is absent until the code
        # has run, as in a module whose code did not define it; ``__all__`` runs it (``import *``)
        if attr.startswith("__") and attr != "__all__":
            raise AttributeError(f"module {name!r} has no attribute {attr!r}")
        run(name)  # (returns at once in the thread running it, which looks for what is not set yet)
        try:
            return module.__dict__[attr]
        except KeyError:
            raise AttributeError(f"module {name!r} has no attribute {attr!r}") from None

    module.__dict__["__getattr__"] = __getattr__
    for attr in early:
        module.__dict__[attr] = _stand_in(name, attr)
    _pending[name] = module
    sys.modules[name] = module
    if parent is not None:
        setattr(parent, child, module)


def _stand_in(name: str, attr: str) -> object:
    def stand_in(*args: object, **kwargs: object) -> object:
        run(name)
        return getattr(sys.modules[name], attr)(*args, **kwargs)

    stand_in.__name__ = stand_in.__qualname__ = attr
    return stand_in


def run(name: str) -> None:
    """Run a deferred module's code now (nothing if it has run or was never deferred).

    As the import system runs a module: under that module's import lock, marked initializing (another
    thread's ``import`` of it waits for the end), and under this module's lock (another thread's first
    look at one of its attributes waits too: the ``__getattr__`` stays in place until the code has run)."""
    from _frozen_importlib import _ModuleLockManager  # type: ignore[attr-defined]

    with _lock:
        module = _pending.pop(name, None)
        if module is None:
            return
        hook = module.__dict__.get("__getattr__")
        spec = module.__spec__
        timed = "importtime" in sys._xoptions
        if timed:
            from time import perf_counter

            t0 = perf_counter()
        with _ModuleLockManager(name):
            spec._initializing = True  # type: ignore[union-attr]
            try:
                spec.loader.exec_module(module)  # type: ignore[union-attr]
            except BaseException:
                if sys.modules.get(name) is module:  # as a failed import leaves it: not imported
                    del sys.modules[name]
                raise
            finally:
                spec._initializing = False  # type: ignore[union-attr]
                if module.__dict__.get("__getattr__") is hook:  # (the module's code did not define its own)
                    del module.__dict__["__getattr__"]
        if timed:
            us = int((perf_counter() - t0) * 1e6)
            sys.stderr.write(f"import time: {us:9d} | {us:10d} | {name}\n")


def cli() -> int:
    """The ``gtsd-tui`` script's entry (``[project.scripts]``, ``sys.exit(cli())``): ``cli.entry`` with
    :func:`defer_stdlib`, and the cyclic garbage collector paused while the CLI and the command's
    module are imported (``cli._main`` resumes it before the command runs, but for the forms hooks run,
    ``check`` and ``lint`` read by hand, whose work pauses it anyway: see :func:`pause_gc`)."""
    defer_stdlib()
    pause_gc()
    from gtsd_tui.cli import entry

    return entry()


def git() -> None:
    """What the driver and the hooks ``git install`` writes run (``python -c``): ``commands.git.entry``
    with :func:`defer_stdlib`; the collector stays paused for the driver's and the hooks' short runs
    over the folder (no cyclic garbage), and is resumed before ``post-checkout``'s database work."""
    defer_stdlib()
    pause_gc()
    from gtsd_tui.commands.git import entry

    entry()
