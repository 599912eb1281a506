"""Plain classes in place of dataclasses on the start-up path of the commands git hooks call.

``import dataclasses`` loads ``inspect`` (and ``ast``, ``dis``, ``tokenize``), and each ``@dataclass``
compiles its generated methods at every start: together the largest share of ``check --offline``'s
start (issue 27). A class on that path writes its ``__init__`` by hand and lists its fields once in
``_fields``; :class:`Record` gives it what the dataclass gave: ``repr`` (``Name(field=value, ...)``,
``_no_repr`` left out), ``==`` between instances of the same class on the fields (``_no_compare`` left
out) and :meth:`Record.replaced` (``dataclasses.replace``). A :class:`FrozenRecord` is hashable on the
same fields, as ``@dataclass(frozen=True)`` is (its fields are not guarded against assignment: mypy's
``Final`` is not used, the code never assigns them).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Self


class Record:
    """``repr``, ``==`` and ``replaced`` from the ``_fields`` a subclass lists (its ``__init__``'s
    parameters, in order)."""

    _fields: tuple[str, ...] = ()
    _no_repr: tuple[str, ...] = ()
    _no_compare: tuple[str, ...] = ()

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self._fields if name not in self._no_compare)

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields if name not in self._no_repr)
        return f"{type(self).__qualname__}({shown})"

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()  # type: ignore[attr-defined,unused-ignore]

    # mutable, so unhashable, like a dataclass with eq=True
    __hash__ = None  # type: ignore[assignment]

    def replaced(self, **changes: Any) -> Self:
        """A copy with ``changes`` (``dataclasses.replace``)."""
        values = {name: getattr(self, name) for name in self._fields}
        unknown = set(changes) - set(values)
        if unknown:
            raise TypeError(f"{type(self).__qualname__} has no field {sorted(unknown)[0]!r}")
        values.update(changes)
        return type(self)(**values)


class FrozenRecord(Record):
    """A :class:`Record` that is hashable on its compared fields (``@dataclass(frozen=True)``)."""

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(self._values())
