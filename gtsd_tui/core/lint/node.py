"""Plain views over the parse tree's JSON (libpg_query's, from pglast's parser), without msgspec.

A view's ``__dict__`` is the JSON object itself: a field spelled as the parse tree spells it and
holding a plain value (``relname``, ``missing_ok``, ``location``) is read at the speed of any attribute,
and an absent one falls back to the class attribute (its default: libpg_query leaves out empty
strings, false and zero). A field holding another node, a list of nodes, or spelled otherwise in
Python (``tableElts`` as ``table_elts``, ``CreateStmt`` as ``create``) is declared with
:func:`child`, :func:`children`, :func:`required` or :func:`renamed`: :func:`view` wraps (or copies)
it into the same dict under its Python name when the parent is viewed, so the rules read every field
as a plain attribute. Nothing is built for the nodes and fields no rule reads.

:func:`read` uses the ``json`` module and these views until a process has decoded ``MSGSPEC_AFTER``
bytes: a git hook linting one file never imports msgspec (with ``typing``, ``inspect``, ``uuid``,
``decimal`` and ``datetime``, more than the whole run of such a hook). Past that, a large run, it
decodes with msgspec into structs made from the same declarations (:func:`_struct`: the same field
names, defaults, JSON keys, properties and methods), which skip in C every node and field not declared
(several times faster than building the views in Python); the findings are the same either way
(``tests/test_lint_views.py``).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TypeVar

    N = TypeVar("N", bound="Node")
    V = TypeVar("V")

# JSON read with the json module and views before msgspec takes over. Measured on dittofeed's parse
# trees: the views take 0.035 ms per KB more than msgspec's structs; importing msgspec and making the
# structs 20-45 ms on this machine: about a megabyte's worth (the snapshots' budget too)
MSGSPEC_AFTER = 1 << 20
_decoded = 0


# libpg_query's JSON of a migration is about 3.7 times its SQL (dittofeed's folder: 149 KB of 40 KB)
TREE_PER_SQL = 4


def expect(sql_bytes: int) -> None:
    """A run about to lint this much SQL: straight to msgspec when its trees would pass the budget
    anyway (the views' extra time would be spent for nothing)."""
    global _decoded
    if sql_bytes * TREE_PER_SQL > MSGSPEC_AFTER - _decoded:
        _decoded = max(_decoded, MSGSPEC_AFTER)


_WHITESPACE = " \t\n\r"  # JSON's


class _Decoding:
    """What ``_json.make_scanner`` reads from its context (a ``json.JSONDecoder`` in the json package)."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float  # (the C scanner's own fast paths: float and int themselves)
    parse_int = int

    @staticmethod
    def parse_constant(name: str) -> float:
        return float(name)  # NaN, Infinity, -Infinity: what json.loads gives


_scan: Any = None


def loads(text: str | bytes) -> Any:
    """``json.loads(text)``, the same values, through the json package's own C scanner (``_json``) without
    importing the package, whose modules compile five regular expressions at import (lint of one file
    is what a pre-commit hook runs: docs/startup.md). Anything that is not one JSON value, and an
    interpreter without ``_json``, goes to ``json.loads`` itself, which gives its own answer or error."""
    global _scan
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    if _scan is None:
        try:
            import _json
        except ImportError:
            _scan = False
        else:
            _scan = _json.make_scanner(_Decoding())  # type: ignore[arg-type]
    if _scan:
        start = len(text) - len(text.lstrip(_WHITESPACE))
        try:
            value, end = _scan(text, start)
        except StopIteration:
            pass  # not a value at all: json's error
        else:
            if end == len(text) or not text[end:].strip(_WHITESPACE):
                return value
    import json

    return json.loads(text)


def read(cls: type[N], text: str | bytes) -> N:
    """The parse tree's JSON ``text`` as a ``cls``."""
    global _decoded
    if _decoded < MSGSPEC_AFTER:
        _decoded += len(text)
        return view(cls, loads(text))
    return _decoder(cls).decode(text)  # type: ignore[no-any-return,unused-ignore]


def read_list(cls: type[N], text: str | bytes) -> list[N]:
    """The parse tree's JSON ``text``, a list, each item as a ``cls``."""
    global _decoded
    if _decoded < MSGSPEC_AFTER:
        _decoded += len(text)
        return [view(cls, item) for item in loads(text)]
    return _decoder(cls, many=True).decode(text)  # type: ignore[no-any-return,unused-ignore]


class Node:
    """A view of one JSON object of the parse tree (see the module)."""

    def __repr__(self) -> str:
        return f"{type(self).__qualname__}({self.__dict__!r})"


class _Field:
    """A field declared with :func:`child`, :func:`children`, :func:`required` or :func:`renamed`:
    replaced by its default on the class the first time the class is viewed (``_spec``)."""

    __slots__ = ("default", "key", "kind", "many", "required")

    def __init__(
        self, kind: type[Node] | None, key: str, many: bool, default: object = None, required: bool = False
    ) -> None:
        self.kind, self.key, self.many, self.default, self.required = kind, key, many, default, required


_EMPTY: list[Any] = []  # the default of every absent list (never mutated: the rules only read the tree)
_specs: dict[type, dict[str, tuple[str, type[Node] | None, bool]]] = {}
_required: dict[type, set[str]] = {}


def _spec(cls: type[Node]) -> dict[str, tuple[str, type[Node] | None, bool]]:
    """JSON key -> (attribute, kind, many) of the fields ``cls`` wraps or renames; its declared fields
    become their defaults on the class (fields set after the class, for recursive kinds, included)."""
    spec: dict[str, tuple[str, type[Node] | None, bool]] = {}
    for klass in reversed(cls.__mro__):
        for attr, value in list(vars(klass).items()):
            if isinstance(value, _Field):
                setattr(klass, attr, _EMPTY if value.many else value.default)
                _specs.setdefault(klass, {})[value.key] = (attr, value.kind, value.many)
                if value.required:
                    _required.setdefault(klass, set()).add(attr)
        spec.update(_specs.get(klass, {}))
    _specs[cls] = spec
    return spec


def view(cls: type[N], data: dict[str, Any]) -> N:
    """``data`` as a ``cls``: its declared children are viewed now (each JSON object once), in place."""
    spec = _specs.get(cls)
    if spec is None:
        spec = _spec(cls)
    if spec:
        for key in [k for k in data if k in spec]:
            attr, kind, many = spec[key]
            raw = data[key]
            if kind is None:
                data[attr] = raw
            elif many:
                data[attr] = [view(kind, x) for x in raw]
            else:
                data[attr] = view(kind, raw)
    node = cls.__new__(cls)
    node.__dict__ = data
    return node


if TYPE_CHECKING:

    def child(kind: type[N], key: str) -> N | None: ...

    def children(kind: type[N], key: str) -> list[N]: ...

    def required(kind: type[N], key: str) -> N: ...

    def renamed(key: str, default: V) -> V: ...

    def raw(key: str) -> Any: ...

else:

    def child(kind, key):
        """The node under ``key`` as ``kind`` (None when absent)."""
        return _Field(kind, key, False)

    def children(kind, key):
        """The list under ``key``, each item as ``kind`` (empty when absent)."""
        return _Field(kind, key, True)

    def required(kind, key):
        """The node under ``key`` as ``kind`` (libpg_query always writes it)."""
        return _Field(kind, key, False, required=True)

    def renamed(key, default):
        """A plain value the parse tree spells ``key`` (``default`` when absent)."""
        return _Field(None, key, False, default)

    def raw(key):
        """The JSON under ``key`` as it was decoded (None when absent)."""
        return _Field(None, key, False)


# -- the bulk path: msgspec structs made from the views' declarations ---------------------------------

_decoders: dict[tuple[type, bool], Any] = {}
_STRUCTS = "gtsd_tui.core.lint._structs"  # a module of its own: the structs' annotations name each other


def _decoder(cls: type[Node], many: bool = False) -> Any:
    found = _decoders.get((cls, many))
    if found is None:
        import msgspec

        kind = _struct(cls)
        found = _decoders[(cls, many)] = msgspec.json.Decoder(list[kind] if many else kind)  # type: ignore[valid-type]
    return found


def _struct_name(cls: type) -> str:
    return f"{cls.__module__.rsplit('.', 1)[-1]}_{cls.__name__}"


def _struct(cls: type[Node]) -> type:
    """The msgspec struct of a view class (and, first, of every kind its fields name)."""
    import sys
    import types

    ns = sys.modules.get(_STRUCTS)
    if ns is None:
        import typing

        ns = sys.modules[_STRUCTS] = types.ModuleType(_STRUCTS)
        ns.Any = typing.Any  # type: ignore[attr-defined]
    name = _struct_name(cls)
    if not hasattr(ns, name):
        setattr(ns, name, None)  # being made: a field of a kind that names this one back refers to it by name
        made, kinds = _make_struct(cls, name)
        setattr(ns, name, made)
        for kind in kinds:
            _struct(kind)
    return getattr(ns, name)  # type: ignore[no-any-return,unused-ignore]


def _make_struct(cls: type[Node], name: str) -> tuple[type, list[type[Node]]]:
    import msgspec

    spec = _specs.get(cls)
    if spec is None:
        spec = _spec(cls)
    required: list[tuple[str, str, Any]] = []
    optional: list[tuple[str, str, Any]] = []
    namespace: dict[str, Any] = {}
    kinds: list[type[Node]] = []
    declared = {attr for attr, _, _ in spec.values()}
    for key, (attr, kind, many) in spec.items():
        default = getattr(cls, attr)
        if kind is None:  # a renamed plain value, or raw JSON
            optional.append(
                (attr, "Any" if default is None else type(default).__name__, msgspec.field(default=default, name=key))
            )
            continue
        kinds.append(kind)
        ref = _struct_name(kind)
        if many:
            optional.append((attr, f"list[{ref}]", msgspec.field(default_factory=list, name=key)))
        elif attr in _required.get(cls, ()):
            required.append((attr, ref, msgspec.field(name=key)))
        else:
            optional.append((attr, f"{ref} | None", msgspec.field(default=None, name=key)))
    for klass in reversed(cls.__mro__[:-1]):  # the plain fields (their defaults) and the properties
        for attr, value in vars(klass).items():
            if attr.startswith("__") or attr in declared:
                continue
            if isinstance(value, (str, bool, int)) and not attr.startswith("_"):
                optional.append((attr, type(value).__name__, value))
            elif callable(value) or isinstance(value, property):
                namespace[attr] = value
    made = msgspec.defstruct(name, [*required, *optional], namespace=namespace, module=_STRUCTS, gc=False)
    return made, kinds
