"""``meta/_journal.json``: reading (including mid-merge journals) and byte-exact writing."""

from __future__ import annotations

from gtsd_tui.core.merging.merge_markers import marker_lines, split_sides
from gtsd_tui.core.record import FrozenRecord, Record
from gtsd_tui.errors import InputError

TYPE_CHECKING = False
if TYPE_CHECKING:  # (typing is not imported at start-up)
    from typing import Any

JOURNAL_VERSION = "7"
DIALECT = "postgresql"


class JournalEntry(FrozenRecord):
    _fields = ("idx", "when", "tag", "version", "breakpoints", "side", "extra")

    idx: int
    when: int
    tag: str
    version: str
    breakpoints: bool
    side: str | None  # "ours" / "theirs" when read from a conflicted journal
    extra: tuple[tuple[str, Any], ...]

    def __init__(
        self,
        idx: int,
        when: int,
        tag: str,
        version: str = JOURNAL_VERSION,
        breakpoints: bool = True,
        side: str | None = None,
        extra: tuple[tuple[str, Any], ...] = (),
    ) -> None:
        self.idx = idx
        self.when = when
        self.tag = tag
        self.version = version
        self.breakpoints = breakpoints
        self.side = side
        self.extra = extra

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "idx": self.idx,
            "version": self.version,
            "when": self.when,
            "tag": self.tag,
            "breakpoints": self.breakpoints,
        }
        out.update(dict(self.extra))
        return out


class Journal(Record):
    _fields = ("entries", "version", "dialect", "conflict_lines", "extra")

    entries: list[JournalEntry]
    version: str
    dialect: str
    conflict_lines: list[int]  # lines of git markers, if any
    extra: dict[str, Any]

    def __init__(
        self,
        entries: list[JournalEntry],
        version: str = JOURNAL_VERSION,
        dialect: str = DIALECT,
        conflict_lines: list[int] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.entries = entries
        self.version = version
        self.dialect = dialect
        self.conflict_lines = [] if conflict_lines is None else conflict_lines
        self.extra = {} if extra is None else extra

    @property
    def conflicted(self) -> bool:
        return bool(self.conflict_lines)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"version": self.version, "dialect": self.dialect}
        out["entries"] = [e.to_json() for e in self.entries]
        for key, value in self.extra.items():
            out[key] = value
        return out

    def dumps(self) -> str:
        """Exactly what drizzle-kit writes: ``JSON.stringify(journal, null, 2)``, no trailing newline."""
        return dumps_json(self.to_json())


JournalRows = tuple[str, str, tuple[tuple[int, int, str, str, bool], ...]]


def journal_rows(journal: Journal) -> JournalRows | None:
    """The journal as plain values for the digest cache; None for one that is more than version,
    dialect and the five fields of each entry (conflicted, extra keys): parsed every time."""
    if journal.conflicted or journal.extra:
        return None
    rows = []
    for e in journal.entries:
        if e.extra or e.side is not None:
            return None
        rows.append((e.idx, e.when, e.tag, e.version, e.breakpoints))
    return (journal.version, journal.dialect, tuple(rows))


_ENTRY_FIELDS = ("idx", "when", "tag", "version", "breakpoints")


def journal_from_rows(rows: JournalRows) -> Journal:
    """The journal :func:`journal_rows` was made of, equal to the one parsed from the file (each entry
    made without the dataclass ``__init__``, a third of its cost: these are its fields, already checked)."""
    version, dialect, entries = rows
    new = object.__new__
    out = []
    for row in entries:
        e = new(JournalEntry)
        d = e.__dict__
        d.update(zip(_ENTRY_FIELDS, row, strict=True))
        d["side"] = None
        d["extra"] = ()
        out.append(e)
    return Journal(out, version, dialect)


def dumps_json(obj: Any) -> str:
    import json

    return json.dumps(obj, indent=2, ensure_ascii=False)


_KNOWN = frozenset({"idx", "version", "when", "tag", "breakpoints"})


def _entry(raw: Any, where: str, side: str | None) -> JournalEntry:
    if not isinstance(raw, dict):
        raise InputError(f"{where}: journal entry is not an object")
    tag, when, idx = raw.get("tag"), raw.get("when"), raw.get("idx")
    if not isinstance(tag, str) or not tag:
        raise InputError(f"{where}: journal entry {idx!r} has no string 'tag'")
    if not isinstance(when, int) or isinstance(when, bool):
        raise InputError(f"{where}: journal entry {tag!r} has no integer 'when'")
    if not isinstance(idx, int) or isinstance(idx, bool):
        raise InputError(f"{where}: journal entry {tag!r} has no integer 'idx'")
    extra = () if raw.keys() <= _KNOWN else tuple((k, v) for k, v in raw.items() if k not in _KNOWN)
    return JournalEntry(
        idx=idx,
        when=when,
        tag=tag,
        version=str(raw.get("version", JOURNAL_VERSION)),
        breakpoints=bool(raw.get("breakpoints", True)),
        side=side,
        extra=extra,
    )


MAX_INT_DIGITS = 30  # a journal's numbers (idx, when) are far shorter; longer ones are refused, not parsed


class _NumberTooLong(ValueError):
    pass


def _bounded_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INT_DIGITS:
        raise _NumberTooLong(f"a number of {len(digits.lstrip('-'))} digits (at most {MAX_INT_DIGITS})")
    return int(digits)


def _load_obj(text: str, where: str) -> dict[str, Any]:
    import json  # (not at start-up: a warm check takes the journal's entries from the digest cache)

    try:
        obj = json.loads(text, parse_int=_bounded_int)
    except json.JSONDecodeError as exc:
        raise InputError(f"{where}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None
    except RecursionError:
        raise InputError(f"{where}: invalid JSON: nested too deeply to be a drizzle journal") from None
    except _NumberTooLong as exc:
        raise InputError(f"{where}: not a drizzle journal: {exc}") from None
    if not isinstance(obj, dict) or not isinstance(obj.get("entries"), list):
        raise InputError(f"{where}: not a drizzle journal (no 'entries' list)")
    return obj


def parse_journal(text: str, where: str = "meta/_journal.json") -> Journal:
    """Parse a journal; a journal with git conflict markers yields the union of both sides."""
    markers = marker_lines(text)
    if markers:
        sides = split_sides(text)
        if sides is None:
            raise InputError(f"{where}:{markers[0]}: unbalanced git conflict markers")
        return merge_journals(sides.ours, sides.theirs, where, markers)
    obj = _load_obj(text, where)
    return _journal_from_obj(obj, where, None)


def _journal_from_obj(obj: dict[str, Any], where: str, side: str | None) -> Journal:
    entries = [_entry(e, where, side) for e in obj["entries"]]
    extra = {k: v for k, v in obj.items() if k not in ("version", "dialect", "entries")}
    return Journal(
        entries=entries,
        version=str(obj.get("version", JOURNAL_VERSION)),
        dialect=str(obj.get("dialect", DIALECT)),
        extra=extra,
    )


def merge_journals(ours_text: str, theirs_text: str, where: str, markers: list[int]) -> Journal:
    """Union of two journal versions: ours in order, then theirs' entries ours lacks."""
    ours = _journal_from_obj(_load_obj(ours_text, f"{where} (ours)"), where, "ours")
    theirs = _journal_from_obj(_load_obj(theirs_text, f"{where} (theirs)"), where, "theirs")
    seen = {e.tag for e in ours.entries}
    theirs_tags = {e.tag for e in theirs.entries}
    entries = [_both(e) if e.tag in theirs_tags else e for e in ours.entries]
    entries += [e for e in theirs.entries if e.tag not in seen]
    return Journal(entries, ours.version, ours.dialect, markers or [1], ours.extra)


def _both(entry: JournalEntry) -> JournalEntry:
    return JournalEntry(entry.idx, entry.when, entry.tag, entry.version, entry.breakpoints, None, entry.extra)
