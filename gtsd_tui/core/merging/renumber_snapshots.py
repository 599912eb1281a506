"""The snapshot chain of a renumber: every snapshot re-linked into one ``prevId`` chain, and every
moved snapshot merged with what the migrations before it in the new order made.

A moved snapshot S is rewritten as ``merge3(base, chain so far, S)`` where base is S's nearest
ancestor (``prevId`` chain) already in the new chain: for the first migration moved after the
kept ones that is base + (ours - base) + (S - base), and a later one of the same branch adds its
own step on top. It keeps its own ``id``. A migration without a snapshot (an orphan registered
now) carries the previous snapshot forward, as ``drizzle-kit generate --custom`` does; so does a
journal entry the plan drops for lack of its ``.sql``. An existing snapshot is never replaced by
one that lacks its objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gtsd_tui.core.merging.snapshot_merge import COLLECTIONS, Change, Clash, merge3, version_problem
from gtsd_tui.core.migrations.folder import Folder, Migration
from gtsd_tui.core.migrations.snapshots import (
    ORIGIN_UUID,
    Snapshot,
    custom_snapshot,
    dumps_snapshot,
    empty_snapshot,
    relinked,
)


@dataclass(frozen=True)
class Brought:
    """An object the merge adds to a moved snapshot, and the migration it comes from."""

    tag: str  # the moved migration (its new tag)
    change: Change
    origin: str | None  # tag of the migration that made the change

    def describe(self) -> str:
        src = f" from {self.origin}" if self.origin else ""
        return f"{self.change.describe()}{src}"


@dataclass
class ChainResult:
    writes: dict[str, bytes] = field(default_factory=dict)
    deletes: list[str] = field(default_factory=list)
    relinked: list[str] = field(default_factory=list)
    brought: list[Brought] = field(default_factory=list)
    clashes: list[tuple[str, Clash]] = field(default_factory=list)  # (file to edit, as named now; clash)
    carried: list[str] = field(default_factory=list)  # tags whose snapshot is the previous one carried
    dangling: list[str] = field(default_factory=list)  # snapshot files whose prevId names no snapshot
    unmergeable: list[str] = field(default_factory=list)  # "meta/x: reason"
    lost: list[str] = field(default_factory=list)  # existing snapshots the plan would shrink


Step = tuple[Migration, str]  # migration, its new tag


def own_snapshot(folder: Folder, m: Migration, taken: set[int]) -> Snapshot | None:
    """The snapshot written with this migration: same prefix, and the same side of a conflict."""
    cands = [s for s in folder.snapshots if s.prefix == m.prefix and s.data is not None and id(s) not in taken]
    if m.side:
        same_side = [s for s in cands if s.side == m.side]
        cands = same_side or [s for s in cands if s.side is None]
    return cands[0] if cands else None


def build_chain(folder: Folder, final: list[Step], dropped: list[Migration]) -> ChainResult:
    res = ChainResult()
    by_id = {s.id: s for s in folder.snapshots if s.id and s.text is not None}
    taken: set[int] = set()
    carriers: list[tuple[Migration, Snapshot]] = []
    for m in dropped:  # their snapshots are carried forward, never given to another migration
        snap = own_snapshot(folder, m, taken)
        if snap is not None:
            taken.add(id(snap))
            carriers.append((m, snap))
    placed: set[str] = set()
    sources: list[tuple[str, dict[str, Any]]] = []  # (tag, source data) already in the chain
    prev_id, prev_out, pristine = ORIGIN_UUID, None, False  # pristine: prev_out is its source, unmerged
    names: dict[str, dict[str, Any]] = {}
    for m, tag in final:
        for carrier in [c for c in carriers if c[0].position < m.position]:
            carriers.remove(carrier)
            prev_out = _absorb(carrier[1], prev_out, placed, by_id, res, carrier[0].tag, sources)
            pristine = False
            placed.add(carrier[1].id or "")
        snap = own_snapshot(folder, m, taken)
        name = f"{tag.split('_', 1)[0]}_snapshot.json"
        if snap is None:
            data = custom_snapshot(prev_out)
            if prev_out is not None:
                data["prevId"] = prev_id
                res.carried.append(tag)
            res.writes[f"meta/{name}"] = dumps_snapshot(data).encode()
            pristine = False
        else:
            taken.add(id(snap))
            assert snap.data is not None
            before = len(res.clashes)
            data = _place(snap, prev_id, prev_out, pristine, placed, by_id, res, tag, sources)
            res.clashes[before:] = [(m.file or tag, c) for _, c in res.clashes[before:]]  # the file to edit
            pristine = _same_body(data, snap.data)
            if snap.prev_id and snap.prev_id != ORIGIN_UUID and snap.prev_id not in by_id:
                res.dangling.append(snap.name)
            if data is not snap.data and pristine:
                res.relinked.append(name)
            if not (snap.name == name and not snap.conflict_lines and data is snap.data):
                res.writes[f"meta/{name}"] = dumps_snapshot(data).encode()
            placed.add(snap.id or "")
            sources.append((tag, snap.data))
        names[name] = data
        prev_id, prev_out = str(data.get("id", prev_id)), data
    old = {s.name for s in folder.snapshots}
    res.deletes = sorted(f"meta/{n}" for n in old - set(names))
    res.lost = _shrunk(folder, names)
    return res


def _same_body(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return all(a.get(k) == b.get(k) for k in COLLECTIONS)


def _base(snap: Snapshot, placed: set[str], by_id: dict[str, Snapshot]) -> Snapshot | None:
    """S's nearest ancestor already in the chain (None: it starts from the empty schema)."""
    seen: set[str] = set()
    cur = snap.prev_id
    while cur and cur != ORIGIN_UUID and cur not in seen:
        if cur in placed:
            return by_id.get(cur)
        seen.add(cur)
        parent = by_id.get(cur)
        cur = parent.prev_id if parent else None
    return None


def _place(
    snap: Snapshot,
    prev_id: str,
    prev_out: dict[str, Any] | None,
    pristine: bool,
    placed: set[str],
    by_id: dict[str, Snapshot],
    res: ChainResult,
    tag: str,
    sources: list[tuple[str, dict[str, Any]]],
) -> dict[str, Any]:
    data = snap.data
    assert data is not None
    if prev_out is None:
        return data
    base = _base(snap, placed, by_id)
    if pristine and (
        base is None and snap.prev_id not in (None, ORIGIN_UUID) or base is not None and base.id == prev_id
    ):
        # it follows the previous snapshot (a dangling prevId is taken to mean the same): no merge
        return data if snap.prev_id == prev_id else relinked(data, prev_id)
    problem = version_problem(data) or version_problem(prev_out)
    if problem:
        res.unmergeable.append(f"meta/{snap.name}: {problem}")
        return relinked(data, prev_id)
    base_data = base.data if base is not None and base.data is not None else empty_snapshot("", "")
    merged = merge3(base_data, prev_out, data)
    for clash in merged.clashes:
        res.clashes.append((tag, clash))
    for change in merged.changes:
        res.brought.append(Brought(tag, change, _origin(change.path, sources)))
    out = merged.data
    out["prevId"] = prev_id
    return out


def _absorb(
    snap: Snapshot,
    prev_out: dict[str, Any] | None,
    placed: set[str],
    by_id: dict[str, Snapshot],
    res: ChainResult,
    tag: str,
    sources: list[tuple[str, dict[str, Any]]],
) -> dict[str, Any]:
    """A dropped journal entry's snapshot, merged into the chain (its objects stay in the schema)."""
    assert snap.data is not None
    sources.append((tag, snap.data))
    if prev_out is None:
        return snap.data
    return _place(snap, str(prev_out.get("id", "")), prev_out, False, placed, by_id, res, tag, sources)


def _origin(path: tuple[str, ...], sources: list[tuple[str, dict[str, Any]]]) -> str | None:
    for tag, data in sources:
        cur: Any = data
        for key in path:
            cur = cur.get(key) if isinstance(cur, dict) else (key if isinstance(cur, list) and key in cur else None)
            if cur is None:
                break
        else:
            return tag
    return None


def _shrunk(folder: Folder, new: dict[str, dict[str, Any]]) -> list[str]:
    """Existing snapshot files the plan overwrites with a snapshot that lacks some of their objects,
    while their own id leaves the chain (their content would be lost)."""
    ids = {str(d.get("id")) for d in new.values()}
    out = []
    for s in folder.snapshots:
        if s.side or s.data is None or s.name not in new or s.id in ids:
            continue
        after = new[s.name]
        for key in COLLECTIONS:
            missing = set(s.data.get(key) or {}) - set(after.get(key) or {})
            if missing:
                out.append(f"meta/{s.name}: {key} {', '.join(sorted(missing)[:3])}")
                break
    return out
