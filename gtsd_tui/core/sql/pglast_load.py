"""pglast imported once, by one thread at a time; and its parser alone, for ``lint``.

A rehearsal imports the parser in a worker thread while the copy is made; the main thread may reach
a ``from pglast.parser import ...`` at the same moment. Python's per-module import locks then let one
thread see the other's partially initialised ``pglast`` (``ImportError: cannot import name
'fingerprint' from partially initialized module 'pglast.parser'``). Every first use goes through
:func:`ensure_pglast`, which imports the whole package under one lock; later calls cost a flag test.

``lint`` needs only the parser's functions (``split``, ``scan``, ``parse_sql_json``,
``parse_plpgsql_json``), yet ``import pglast.parser`` first runs the package's ``__init__``, which
imports ``pglast.enums``, and the parser's own initialisation imports ``pglast.ast``: three quarters
of pglast's import time, for classes lint never builds (issue 27: ``lint`` of one file is what a
pre-commit hook runs). :func:`lint_parser` loads the parser with the package, ``pglast.ast`` and
``pglast.enums`` registered but not yet executed: each runs, as it would have, on the first look at
one of its attributes (``pglast.parse_sql``, ``pglast.ast.Query``, ``pglast.enums.ObjectType``), and
:func:`ensure_pglast` runs any still waiting. What is imported is pglast's own files, unchanged.
"""

from __future__ import annotations

import _thread
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import ModuleType

# re-entered: a deferred module's run imports the others; _thread's RLock is the one threading.RLock
# makes, without importing threading (lint of one file needs no other part of it)
_lock = _thread.RLock()
_loaded = False
_deferred: dict[str, ModuleType] = {}  # registered, not yet executed
_parser: ModuleType | None = None  # pglast.parser once its import is over (lint_parser)


def ensure_pglast() -> None:
    global _loaded
    if _loaded:
        return
    with _lock:
        if not _loaded:
            for name in ("pglast", "pglast.enums", "pglast.ast"):
                _run_deferred(name)
            import pglast
            import pglast.ast
            import pglast.enums
            import pglast.parser  # noqa: F401

            _loaded = True


def _run_deferred(name: str) -> None:
    """Execute a module :func:`lint_parser` registered without running it (nothing if it ran)."""
    with _lock:
        module = _deferred.pop(name, None)
        if module is not None:
            module.__dict__.pop("__getattr__", None)
            module.__spec__.loader.exec_module(module)  # type: ignore[union-attr]


def _deferred_module(name: str) -> ModuleType:
    """``name`` in ``sys.modules`` as pglast's file made it, its code not run yet: the first attribute
    it lacks runs it (PEP 562 ``__getattr__``)."""
    # the import system's own functions (``importlib.util`` would import itself and ``importlib._abc``)
    from _frozen_importlib import _find_spec, module_from_spec  # type: ignore[attr-defined]

    parent = sys.modules.get(name.rpartition(".")[0])
    spec = _find_spec(name, getattr(parent, "__path__", None))
    if spec is None or spec.loader is None:
        raise ImportError(f"no module named {name!r}")
    module = module_from_spec(spec)

    def __getattr__(attr: str) -> object:
        if attr.startswith("__"):  # (``__path__``, ``__file__``... are set; the rest do not exist)
            raise AttributeError(attr)
        _run_deferred(name)
        return getattr(module, attr)

    module.__dict__["__getattr__"] = __getattr__
    _deferred[name] = module
    sys.modules[name] = module
    return module


def lint_parser() -> ModuleType:
    """``pglast.parser``, loaded without running ``pglast/__init__.py``, ``pglast.ast`` and
    ``pglast.enums`` (see the module's text); the module as imported when pglast already is.

    Only a parser this module saw loaded is returned without the lock: ``sys.modules`` holds
    ``pglast.parser`` from the start of its import, and a thread that took it from there while
    :func:`ensure_pglast` was still running it got a module without ``ParseError``."""
    global _parser
    if _parser is not None:
        return _parser
    with _lock:
        if _parser is None:
            if "pglast" not in sys.modules:
                package = _deferred_module("pglast")
                import pglast.error  # a plain module: the one name the parser takes from the package

                package.Error = pglast.error.Error  # type: ignore[attr-defined]
                package.ast = _deferred_module("pglast.ast")  # type: ignore[attr-defined]
                package.enums = _deferred_module("pglast.enums")  # type: ignore[attr-defined]
            import pglast.parser

            _parser = pglast.parser
        return _parser
