"""Lines of a large file, decoded only when asked for: opening a 50 MB migration costs a count."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import overload

_STRIDE = 256  # keep the offset of every 256th line once it has been found


class LazyLines(Sequence[str]):
    """A read-only sequence of the lines of ``data`` (split on ``\\n``, decoded as UTF-8 with replacement)."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._count = data.count(b"\n") + 1
        self._marks = [0]  # offset of line k * _STRIDE
        self._scanned = 0  # lines whose start offsets are known up to here (exclusive)

    def __len__(self) -> int:
        return self._count

    def _offset(self, line: int) -> int:
        """Byte offset where ``line`` starts (scans forward from the nearest known mark)."""
        mark = line // _STRIDE
        while len(self._marks) <= mark:
            pos = self._marks[-1]
            for _ in range(_STRIDE):
                pos = self._data.find(b"\n", pos) + 1
            self._marks.append(pos)
        pos = self._marks[mark]
        for _ in range(line - mark * _STRIDE):
            pos = self._data.find(b"\n", pos) + 1
        return pos

    def _line(self, i: int) -> str:
        start = self._offset(i)
        end = self._data.find(b"\n", start)
        return self._data[start : end if end >= 0 else len(self._data)].decode("utf-8", "replace")

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> list[str]: ...

    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            start, stop, step = index.indices(self._count)
            if step != 1 or stop <= start:
                return [self._line(i) for i in range(start, stop, step)]
            first = self._offset(start)
            last = self._offset(stop) if stop < self._count else len(self._data) + 1
            chunk = self._data[first : max(first, last - 1)]
            return chunk.decode("utf-8", "replace").split("\n")[: stop - start]
        if index < 0:
            index += self._count
        if not 0 <= index < self._count:
            raise IndexError(index)
        return self._line(index)

    def __iter__(self) -> Iterator[str]:
        for start in range(0, self._count, 4096):
            yield from self[start : start + 4096]
