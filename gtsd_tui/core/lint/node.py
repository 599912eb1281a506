"""Plain views over the parse tree's JSON (libpg_query's, from pglast's parser), without msgspec.

A view's ``__dict__`` is the JSON object itself: a field spelled as the parse tree spells it and
holding a plain value (``relname``, ``missing_ok``, ``location``) is read at the speed of any attribute,
and an absent one falls back to the class attribute (its default: libpg_query leaves out empty
strings, false and zero). A field holding another node, a list of nodes, or spelled otherwise in
Python (``tableElts`` as ``table_elts``, ``CreateStmt`` as ``create``) is a descriptor (:func:`child`,
:func:`children`, :func:`renamed`) that wraps the JSON on first read and keeps the result in the
same dict (under a key the parse tree never uses). Nothing is built for the nodes no rule reads.

:func:`decode` reads the JSON with the ``json`` module until a process has decoded ``MSGSPEC_AFTER``
bytes, then with msgspec (the same dicts and values, several times faster on large inputs): a git
hook linting one file never imports msgspec (with ``typing``, ``inspect``, ``uuid``, ``decimal`` and
``datetime``, more than the whole run of such a hook), a large run pays for it once.
"""

from __future__ import annotations

import json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TypeVar

    N = TypeVar("N", bound="Node")
    V = TypeVar("V")

# JSON decoded by the json module before msgspec takes over: msgspec's import costs about what json
# takes more than msgspec on this much of libpg_query's output (measured: docs/startup.md)
MSGSPEC_AFTER = 256 << 10
_decoded = 0


def decode(text: str | bytes) -> Any:
    """The parse tree's JSON as dicts and lists."""
    global _decoded
    if _decoded < MSGSPEC_AFTER:
        _decoded += len(text)
        return json.loads(text)
    import msgspec

    return msgspec.json.decode(text)


class Node:
    """A view of one JSON object of the parse tree (see the module)."""

    def __init__(self, data: dict[str, Any] | None = None) -> None:
        self.__dict__ = {} if data is None else data

    def __repr__(self) -> str:
        return f"{type(self).__qualname__}({self.__dict__!r})"


def view(cls: type[N], data: dict[str, Any]) -> N:
    node = cls.__new__(cls)
    node.__dict__ = data
    return node


class _Field:
    """A data descriptor (so the JSON's own key never hides it) reading ``key`` of the node's dict."""

    __slots__ = ("cache", "default", "key", "kind", "many")

    def __init__(self, kind: type[Node] | None, key: str, many: bool, default: object = None) -> None:
        self.kind, self.key, self.many, self.default = kind, key, many, default
        # where the wrapped value is kept: the parse tree's keys never start with a dot
        self.cache = f".{key}:{kind.__name__ if kind else ''}{'*' if many else ''}"

    def __get__(self, node: Node | None, owner: type | None = None) -> Any:
        if node is None:
            return self
        d = node.__dict__
        try:
            return d[self.cache]
        except KeyError:
            pass
        raw = d.get(self.key)
        kind = self.kind
        if raw is None:
            value = [] if self.many else self.default
        elif kind is None:
            value = raw
        elif self.many:
            value = [view(kind, x) for x in raw]
        else:
            value = view(kind, raw)
        d[self.cache] = value
        return value

    def __set__(self, node: Node, value: object) -> None:
        raise AttributeError(f"{self.key} is read-only")


if TYPE_CHECKING:

    def child(kind: type[N], key: str) -> N | None: ...

    def children(kind: type[N], key: str) -> list[N]: ...

    def renamed(key: str, default: V) -> V: ...

else:

    def child(kind, key):
        """The node under ``key`` as ``kind`` (None when absent)."""
        return _Field(kind, key, False)

    def children(kind, key):
        """The list under ``key``, each item as ``kind`` (empty when absent)."""
        return _Field(kind, key, True)

    def renamed(key, default):
        """A plain value the parse tree spells ``key`` (``default`` when absent)."""
        return _Field(None, key, False, default)


def raw(key: str) -> Any:
    """The JSON under ``key`` as it was decoded (None when absent)."""
    return _Field(None, key, False)
