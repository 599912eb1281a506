"""``meta/<prefix>_snapshot.json`` files: the id / prevId chain drizzle-kit checks."""

from __future__ import annotations

import os
from functools import cache, cached_property

from gtsd_tui.core.merging.merge_markers import marker_lines, split_sides
from gtsd_tui.core.migrations.hashing import read_file
from gtsd_tui.core.record import FrozenRecord
from gtsd_tui.errors import InputError

TYPE_CHECKING = False
if TYPE_CHECKING:  # (typing is not imported at start-up)
    from typing import Any

ORIGIN_UUID = "00000000-0000-0000-0000-000000000000"


@cache
def _head_type() -> Any:
    """The struct msgspec reads a snapshot's head into (drizzle-kit's keys ``id``, ``prevId``, ...)."""
    from typing import Any

    import msgspec

    return msgspec.defstruct("Head", [(key, Any, None) for key in ("id", "prevId", "version", "dialect")])


class Snapshot(FrozenRecord):
    _fields = (
        "name", "prefix", "id", "prev_id", "text", "side", "error", "conflict_lines", "version", "dialect", "source"
    )  # fmt: skip
    _no_repr = ("text", "source")
    _no_compare = ("text", "source")

    name: str  # file name inside meta/, e.g. "0004_snapshot.json"
    prefix: str  # "0004"
    id: str | None
    prev_id: str | None
    text: str | None  # the JSON; None when unreadable
    side: str | None  # "ours" / "theirs" for a conflicted file
    error: str | None
    conflict_lines: tuple[int, ...]
    version: str | None
    dialect: str | None
    source: str | None

    def __init__(
        self,
        name: str,
        prefix: str,
        id: str | None,
        prev_id: str | None,
        text: str | None = None,
        side: str | None = None,
        error: str | None = None,
        conflict_lines: tuple[int, ...] = (),
        version: str | None = None,
        dialect: str | None = None,
        source: str | None = None,
    ) -> None:
        self.name = name
        self.prefix = prefix
        self.id = id
        self.prev_id = prev_id
        self.text = text
        self.side = side
        self.error = error
        self.conflict_lines = conflict_lines
        self.version = version
        self.dialect = dialect
        self.source = source  # the file, for a head from the cache

    @property
    def readable(self) -> bool:
        """The file was read and parsed (``text`` is not None), without reading it when the head came
        from the cache."""
        return self.error is None

    @cached_property
    def data(self) -> dict[str, Any] | None:
        """The whole snapshot, decoded on first use (check and status read only id and prevId)."""
        if self.text is None:
            return None
        data = _data_json_first(self.text)
        if data is _REFUSED:
            import msgspec

            try:
                data = msgspec.json.decode(self.text)  # keys in file order, as json.loads keeps them
            except (msgspec.DecodeError, RecursionError):
                return None
        return data if isinstance(data, dict) else None


class _TextOnDemand:
    """``Snapshot.text`` of a snapshot made by :func:`cached_snapshot`: the file is read when first asked
    (``check`` and ``status`` need only the heads). The file must still be the one whose head was
    cached (same size, mtime, ctime, inode): a file changed since the folder was read is an
    InputError, never another version's body under this head; None when it is no longer UTF-8."""

    def __get__(self, snap: Snapshot | None, owner: type) -> str | None:
        if snap is None or snap.source is None:
            return None  # the dataclass default
        source, key = snap.source, snap.__dict__.get("source_key")
        try:
            st = os.stat(source)
            raw = read_file(source)
        except OSError as exc:
            raise InputError(f"{source}: cannot read: {exc.strerror}") from None
        if (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino) != key or len(raw) != st.st_size:
            raise InputError(f"{source}: changed on disk since the folder was read; run the command again")
        try:
            text: str | None = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        snap.__dict__["text"] = text
        return text


setattr(Snapshot, "text", _TextOnDemand())  # noqa: B010 - an instance's own text (every other snapshot) wins


def cached_snapshot(name: str, head: tuple[Any, ...], source: str, key: tuple[int, int, int, int]) -> Snapshot:
    """The snapshot of a file whose head ``(id, prevId, version, dialect)`` came from the cache under the
    stat ``key``: equal to the one :func:`parse_snapshot` makes of it, its text read on first use."""
    snap = object.__new__(Snapshot)
    sid, prev, version, dialect = head
    snap.__dict__.update(
        name=name,
        prefix=snapshot_prefix(name),
        id=sid,
        prev_id=prev,
        side=None,
        error=None,
        conflict_lines=(),
        version=version,
        dialect=dialect,
        source=source,
        source_key=key,
    )
    return snap


def cacheable_head(snaps: list[Snapshot], size: int) -> tuple[Any, ...] | None:
    """What the cache keeps of a file of ``size`` bytes (its stat before the read) parsed into ``snaps``:
    the head of one readable snapshot without conflict markers, read whole; None for anything else
    (read again every time)."""
    if len(snaps) != 1:
        return None
    s = snaps[0]
    text = s.__dict__.get("text")
    if text is None or s.error is not None or s.conflict_lines or s.side is not None or "<<<<<<<" in text:
        return None
    if len(text.encode("utf-8")) != size:  # written between the stat and the read: not kept
        return None
    return (s.id, s.prev_id, s.version, s.dialect)


def snapshot_prefix(name: str) -> str:
    return name[: -len("_snapshot.json")] if name.endswith("_snapshot.json") else name.rsplit(".", 1)[0]


def parse_snapshot(name: str, text: str) -> list[Snapshot]:
    """One snapshot, or two (ours and theirs) when the file holds git conflict markers."""
    prefix = snapshot_prefix(name)
    markers = marker_lines(text)
    if markers:
        sides = split_sides(text)
        if sides is None:
            return [Snapshot(name, prefix, None, None, None, None, "unbalanced conflict markers", tuple(markers))]
        return [
            _one(name, prefix, sides.ours, "ours", tuple(markers)),
            _one(name, prefix, sides.theirs, "theirs", tuple(markers)),
        ]
    return [_one(name, prefix, text, None, ())]


# Up to this many snapshots (and bytes of them) per process are read with the json module: importing
# msgspec costs about what json.loads takes on a megabyte, and a small folder (a git hook's) does
# without it.
JSON_FIRST_BYTES = 1 << 20
JSON_FIRST_FILES = 64  # and json's per-call cost is several times msgspec's: a large folder switches early
_json_read = [0, 0]  # bytes, files


def _one(name: str, prefix: str, text: str, side: str | None, markers: tuple[int, ...]) -> Snapshot:
    ids: tuple[Any, Any, Any, Any] | str | None = None
    if _json_read[0] + len(text) <= JSON_FIRST_BYTES and _json_read[1] < JSON_FIRST_FILES:
        _json_read[0] += len(text)
        _json_read[1] += 1
        ids = _ids_slow(text)  # the same ids as msgspec's wherever both read the file
    if not isinstance(ids, tuple):  # msgspec reads what json refused (a deeper nesting, a longer number)
        msgspec_ids = _ids_fast(text)
        ids = msgspec_ids if msgspec_ids is not None else ids if ids is not None else _ids_slow(text)
    if isinstance(ids, str):
        return Snapshot(name, prefix, None, None, None, side, ids, markers)
    sid, prev, version, dialect = ids
    return Snapshot(
        name,
        prefix,
        sid if isinstance(sid, str) else None,
        prev if isinstance(prev, str) else None,
        text,
        side,
        None,
        markers,
        None if version is None else str(version),
        dialect if isinstance(dialect, str) else None,
    )


_json_data_read = [0, 0]  # bytes, files: Snapshot.data's own budget (the same limits)
_REFUSED = object()


def _refuse(value: str) -> float:
    raise ValueError(value)


def _finite(digits: str) -> float:
    value = float(digits)
    if value in (float("inf"), float("-inf")):
        raise ValueError(digits)  # msgspec refuses a number out of range
    return value


def _data_json_first(text: str) -> Any:
    """A whole snapshot read with the json module within the budget, where that reading is the one
    msgspec makes; ``_REFUSED`` (msgspec decides) past the budget or for what the two read otherwise:
    NaN and Infinity, a float out of range, a ``\\uD8xx`` escape (a lone surrogate), any error."""
    if _json_data_read[0] + len(text) > JSON_FIRST_BYTES or _json_data_read[1] >= JSON_FIRST_FILES:
        return _REFUSED
    _json_data_read[0] += len(text)
    _json_data_read[1] += 1
    if "\\ud" in text or "\\uD" in text:
        return _REFUSED
    import json

    try:
        return json.loads(text, parse_constant=_refuse, parse_float=_finite)
    except (ValueError, RecursionError):
        return _REFUSED


def _ids_fast(text: str) -> tuple[Any, Any, Any, Any] | None:
    """msgspec's reading of the ids (the rest of the file checked for syntax but not built); None when
    it refuses the file."""
    import msgspec

    try:
        head = msgspec.json.decode(text, type=_head_type())
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
        return None
    return head.id, head.prevId, head.version, head.dialect


def _bounded_int(digits: str) -> int:
    if len(digits) > 40:
        raise ValueError(f"a number of {len(digits)} digits")
    return int(digits)


def _ids_slow(text: str) -> tuple[Any, Any, Any, Any] | str:
    """The json module's reading of the file: its ids, or the error (with its line)."""
    import json  # (not at start-up: a warm check takes the heads from the cache)

    try:
        data = json.loads(text, parse_int=_bounded_int)
    except json.JSONDecodeError as exc:
        return f"invalid JSON at line {exc.lineno}"
    except RecursionError:
        return "invalid JSON: nested too deeply"
    except ValueError as exc:  # a number too long to read
        return f"invalid JSON: {exc}"
    if not isinstance(data, dict):
        return "not a JSON object"
    return data.get("id"), data.get("prevId"), data.get("version"), data.get("dialect")


def dumps_snapshot(data: dict[str, Any]) -> str:
    """``JSON.stringify(snapshot, null, 2)`` as drizzle-kit writes it (the same bytes as
    ``json.dumps(indent=2, ensure_ascii=False)``, checked on kit output; many times faster)."""
    import msgspec

    return msgspec.json.format(msgspec.json.encode(data), indent=2).decode()


def relinked(data: dict[str, Any], prev_id: str) -> dict[str, Any]:
    """The same snapshot with another ``prevId``; key order kept."""
    return {k: (prev_id if k == "prevId" else v) for k, v in data.items()}


def empty_snapshot(sid: str, prev_id: str) -> dict[str, Any]:
    """A drizzle-kit v7 PostgreSQL snapshot of an empty schema, keys in drizzle-kit's order."""
    return {
        "id": sid,
        "prevId": prev_id,
        "version": "7",
        "dialect": "postgresql",
        "tables": {},
        "enums": {},
        "schemas": {},
        "sequences": {},
        "roles": {},
        "policies": {},
        "views": {},
        "_meta": {"columns": {}, "schemas": {}, "tables": {}},
    }


def custom_snapshot(previous: dict[str, Any] | None) -> dict[str, Any]:
    """What ``drizzle-kit generate --custom`` writes: the previous body, a new id, prevId = previous id."""
    import uuid  # (and platform): only here, not on every read of the folder

    new_id = str(uuid.uuid4())
    if previous is None:
        return empty_snapshot(new_id, ORIGIN_UUID)
    out: dict[str, Any] = {"id": new_id, "prevId": previous.get("id", ORIGIN_UUID)}
    out.update({k: v for k, v in previous.items() if k not in ("id", "prevId")})
    return out
