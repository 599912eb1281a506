"""Drizzle 1.0 (v1) specifics measured in drizzle-orm / drizzle-kit 1.0.0-rc.5.

- folder order: ``a.name.localeCompare(b.name)`` (ICU root collation, not byte order);
- ``snapshot.json``: ``id``, ``prevIds`` (a list: a merge lists every leaf), ``footprints``;
- the upgrade of a v0 tracking table (``up-migrations/pg.ts`` ``upToV1``): every row is matched to a
  local migration by ``created_at`` with its last three digits replaced by ``000``, a tie broken by
  hash, no candidate at that second by hash; any unmatched row stops the upgrade.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from gtsd_tui.core.record import FrozenRecord, Record

TYPE_CHECKING = False
if TYPE_CHECKING:  # (typing is not imported at start-up: a 1.0 folder's check is a hook's run too)
    from typing import Any

    from gtsd_tui.core.migrations.folder import Folder
    from gtsd_tui.core.migrations.status import HistoryRow

ORIGIN = "00000000-0000-0000-0000-000000000000"
CUSTOM_SQL = "-- Custom SQL migration file, put your code below! --"

# ICU root collation, primary level, for ASCII (CLDR order): whitespace, punctuation and symbols,
# digits, then letters with case ignored; case decides only when everything else is equal
# (lower case first). Non-ASCII characters sort after, by code point (folder names are ASCII).
_ORDER = "\t\n\v\f\r _-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$0123456789abcdefghijklmnopqrstuvwxyz"
_RANK = {c: i for i, c in enumerate(_ORDER)}


def icu_key(name: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Sort key agreeing with JavaScript's ``localeCompare`` on ASCII folder names."""
    primary = tuple(_RANK.get(c.lower(), 1000 + ord(c)) for c in name)
    tertiary = tuple(1 if c.isupper() else 0 for c in name)
    return primary, tertiary


class V1Snapshot(FrozenRecord):
    _fields = ("folder", "id", "prev_ids", "footprints", "kind", "custom", "error")

    def __init__(
        self,
        folder: str,  # migration folder name
        id: str | None,
        prev_ids: tuple[str, ...],
        footprints: tuple[dict[str, Any], ...] = (),
        kind: str | None = None,  # "base" / "diff" (rc.5, version 9)
        custom: bool = False,  # a diff with no deltas: written by `generate --custom`
        error: str | None = None,
    ) -> None:
        self.folder, self.id, self.prev_ids, self.footprints = folder, id, prev_ids, footprints
        self.kind, self.custom, self.error = kind, custom, error


def parse_v1_snapshot(folder: str, text: str) -> V1Snapshot:
    import json  # (a warm check reads the kept facts: no JSON)

    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return V1Snapshot(folder, None, (), error=f"invalid JSON at line {exc.lineno}")
    except RecursionError:
        return V1Snapshot(folder, None, (), error="invalid JSON: nested too deeply")
    except ValueError as exc:  # a number of thousands of digits
        return V1Snapshot(folder, None, (), error=f"invalid JSON: {str(exc).split(';')[0]}")
    if not isinstance(data, dict):
        return V1Snapshot(folder, None, (), error="not a JSON object")
    sid = data.get("id")
    prev = data.get("prevIds")
    if isinstance(prev, str):
        prev = [prev]
    if not isinstance(prev, list):
        legacy = data.get("prevId")  # a v0 snapshot copied by hand
        prev = [legacy] if isinstance(legacy, str) else []
    prints = data.get("footprints")
    deltas = data.get("deltas")
    return V1Snapshot(
        folder,
        sid if isinstance(sid, str) else None,
        tuple(p for p in prev if isinstance(p, str)),
        tuple(f for f in prints if isinstance(f, dict)) if isinstance(prints, list) else (),
        data.get("type") if isinstance(data.get("type"), str) else None,
        data.get("type") == "diff" and isinstance(deltas, list) and not deltas,
    )


_FACTS_FORMAT = ("gtsd-v1-snapshot-facts", 1, sys.version_info[:2])


def read_v1_snapshots(folder: Folder) -> list[V1Snapshot]:
    """The snapshot of every migration folder that has one, in the folder's order.

    What is read of each (id, prevIds, footprints, type, custom) is kept beside the folder's digests,
    keyed by the file's stat as the snapshot heads are (``core/migrations/digest_cache``): a warm
    ``check`` of a Drizzle 1.0 folder, a pre-commit hook's, decodes no snapshot (each is the whole
    schema: a hundred migrations of a real schema are megabytes of JSON at every commit)."""
    from gtsd_tui.core.migrations.digest_cache import StatCache, stat_key

    root = str(folder.path)
    cache = StatCache(root, ".v1facts", _FACTS_FORMAT)
    out: list[V1Snapshot] = []
    with cache.folder_fd(root) as fd:
        for m in folder.migrations:
            name = f"{m.tag}/snapshot.json"
            try:
                st = os.stat(name, dir_fd=fd) if fd is not None else os.stat(os.path.join(root, name))
            except FileNotFoundError:
                continue
            except OSError:
                st = None  # the read says why
            if st is not None:
                hit = cache.get(name, stat_key(st))
                if type(hit) is tuple and len(hit) == 5:
                    out.append(V1Snapshot(m.tag, *hit))
                    continue
            read = _read_one(m.tag, os.path.join(root, name))
            if read is None:
                continue
            snap, size = read
            if st is not None and snap.error is None and size == st.st_size:  # (not written meanwhile)
                cache.put(name, st, (snap.id, snap.prev_ids, snap.footprints, snap.kind, snap.custom))
            out.append(snap)
    cache.save()
    return out


def _read_one(tag: str, path: str) -> tuple[V1Snapshot, int] | None:
    """The snapshot and how many bytes were read (None: no such file)."""
    try:
        raw = Path(path).read_bytes()
        text = raw.decode("utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        return V1Snapshot(tag, None, (), error=f"cannot read: {exc}"), -1
    return parse_v1_snapshot(tag, text), len(raw)


class TableUpgrade(Record):
    """What drizzle-orm 1.0 does to a v0 tracking table before its first v1 run."""

    _fields = ("names", "unmatched")

    def __init__(self, names: list[tuple[int, str]] | None = None, unmatched: list[int] | None = None) -> None:
        self.names = [] if names is None else names  # (row id, migration name)
        self.unmatched = [] if unmatched is None else unmatched  # row ids matching no local migration

    @property
    def possible(self) -> bool:
        return not self.unmatched

    def refusal(self, table: str) -> str:
        ids = ", ".join(str(i) for i in self.unmatched)
        return (
            f"{table} is drizzle v0's table and {len(self.unmatched)} row(s) (ids: {ids}) match no migration "
            "folder (by created_at to the second, then by hash): drizzle-orm 1.0 refuses to upgrade it too. "
            "Restore the missing migration folders first"
        )


def _second(created_at: int | None) -> int | None:
    """``Number(String(created_at).slice(0, -3) + "000")`` as drizzle computes it (NaN -> None)."""
    if created_at is None:
        return None
    s = str(created_at)
    head = s[: max(len(s) - 3, 0)]
    try:
        return int(head + "000")
    except ValueError:
        return None


def plan_upgrade(folder: Folder, rows: list[HistoryRow]) -> TableUpgrade:
    """``upToV1`` of drizzle-orm 1.0.0-rc.5, step by step (rows in id order)."""
    local = sorted(
        (m for m in folder.migrations if m.file is not None),
        key=lambda m: (m.when if m.when is not None else float("inf"), icu_key(m.tag)),
    )
    by_millis: dict[int, list[Any]] = {}
    by_hash: dict[str, Any] = {}
    for m in local:
        if m.when is not None:
            by_millis.setdefault(m.when, []).append(m)
        if m.hash is not None:
            by_hash[m.hash] = m  # Map.set: the last one with this hash wins
    out = TableUpgrade()
    for r in sorted(rows, key=lambda r: r.id):
        sec = _second(r.created_at)
        candidates = by_millis.get(sec, []) if sec is not None else []
        if len(candidates) == 1:
            hit = candidates[0]
        elif candidates:
            hit = next((c for c in candidates if c.hash == r.hash), None)
        else:
            hit = by_hash.get(r.hash)
        if hit is None:
            out.unmatched.append(r.id)
        else:
            out.names.append((r.id, hit.tag))
    return out


def upgraded_rows(rows: list[HistoryRow], upgrade: TableUpgrade) -> list[HistoryRow]:
    """The rows as they read after the upgrade (names filled, ``applied_at`` NULL)."""
    names = dict(upgrade.names)
    return [r.replaced(name=names.get(r.id), applied_at=None) for r in rows]  # still read from a v0 table
