"""Findings about what the migrations of two branches do to the schema: clashes between their
snapshots (``schema-conflict``), SQL that touches the same objects (``overlap``), snapshots
``check`` cannot place (``snapshot-dangling``, ``snapshot-version``), and unjournaled files whose
change is already in the schema."""

from __future__ import annotations

import re

from gtsd_tui.core.migrations.folder import Folder, Migration
from gtsd_tui.core.migrations.snapshots import ORIGIN_UUID, Snapshot, empty_snapshot
from gtsd_tui.core.record import Record
from gtsd_tui.core.vocab import Severity

TYPE_CHECKING = False  # (typing is not imported at start-up)
if TYPE_CHECKING:  # the three-way merge and the SQL scanner load when a fork or an orphan needs them:
    from typing import Any

    # `check --offline` on a linear folder (every git hook) does without them
    from gtsd_tui.core.merging.snapshot_merge import Clash
    from gtsd_tui.core.sql.sql_objects import Overlap, Touch

ERROR, WARNING = Severity.ERROR, Severity.WARNING


class Fork(Record):
    """Two branches of the snapshot chain from one parent: what each did, and how they combine."""

    _fields = ("base", "ours", "theirs", "clashes", "overlaps")

    base: str  # the parent snapshot's file name ("(empty schema)" for the origin)
    ours: list[Migration]
    theirs: list[Migration]
    clashes: list[Clash]
    overlaps: list[Overlap]

    def __init__(
        self,
        base: str,
        ours: list[Migration],
        theirs: list[Migration],
        clashes: list[Clash] | None = None,
        overlaps: list[Overlap] | None = None,
    ) -> None:
        self.base = base
        self.ours = ours
        self.theirs = theirs
        self.clashes = [] if clashes is None else clashes
        self.overlaps = [] if overlaps is None else overlaps

    @property
    def independent(self) -> bool:
        return not self.clashes and not self.overlaps


def _migration_for(folder: Folder, snap: Snapshot) -> Migration | None:
    cands = [m for m in folder.migrations if m.prefix == snap.prefix and m.file is not None]
    if len(cands) > 1 and snap.side:
        cands = [m for m in cands if m.side == snap.side] or cands
    return cands[0] if cands else None


def _branch(children: dict[str, list[Snapshot]], start: Snapshot) -> list[Snapshot]:
    """``start`` and its descendants down to the tip (the highest-numbered child at each fork)."""
    out = [start]
    seen = {start.id}
    while True:
        kids = [k for k in children.get(out[-1].id or "", []) if k.id not in seen]
        if not kids:
            return out
        nxt = max(kids, key=lambda k: k.prefix)
        seen.add(nxt.id)
        out.append(nxt)


def forks(folder: Folder) -> list[Fork]:
    """Every place where two snapshots share a prevId, with both branches merged three-way."""
    children: dict[str, list[Snapshot]] = {}
    by_id: dict[str, Snapshot] = {}
    for s in folder.snapshots:
        if s.id and s.prev_id is not None and s.id not in by_id:
            by_id[s.id] = s
            children.setdefault(s.prev_id, []).append(s)
    out: list[Fork] = []
    for parent_id, kids in children.items():
        if len(kids) < 2:
            continue
        order = {"ours": 0, None: 1, "theirs": 2}
        kids = sorted(kids, key=lambda k: (order.get(k.side, 1), _position(folder, k)))
        parent = by_id.get(parent_id)
        base = parent.data if parent is not None else None
        if base is None:
            base = empty_snapshot("", ORIGIN_UUID) if parent_id == ORIGIN_UUID else None
        ours_chain = _branch(children, kids[0])
        for kid in kids[1:]:
            out.append(_fork(folder, parent, base, ours_chain, _branch(children, kid)))
    return out


def _position(folder: Folder, snap: Snapshot) -> int:
    m = _migration_for(folder, snap)
    return m.position if m else 1 << 30


def _fork(
    folder: Folder, parent: Snapshot | None, base: dict[str, Any] | None, a: list[Snapshot], b: list[Snapshot]
) -> Fork:
    from gtsd_tui.core.merging.snapshot_merge import merge3, version_problem
    from gtsd_tui.core.sql.sql_objects import overlaps

    ours = [m for s in a if (m := _migration_for(folder, s))]
    theirs = [m for s in b if (m := _migration_for(folder, s))]
    fork = Fork(parent.name if parent else "(empty schema)", ours, theirs)
    tip_a, tip_b = a[-1].data, b[-1].data
    known = base is not None and tip_a is not None and tip_b is not None
    if known and not any(version_problem(d) for d in (base, tip_a, tip_b) if d is not None):
        fork.clashes = merge3(base or {}, tip_a or {}, tip_b or {}).clashes
    fork.overlaps = overlaps(_touches(folder, ours), _touches(folder, theirs))
    return fork


def _touches(folder: Folder, migrations: list[Migration]) -> list[Touch]:
    from gtsd_tui.core.sql.sql_objects import sql_touches

    out: list[Touch] = []
    for m in migrations:
        out += sql_touches(folder.read_bytes(m).decode("utf-8", "replace"))
    return out


def _first_change(folder: Folder, migrations: list[Migration], clash: Clash, side: str) -> Migration | None:
    """The migration of a branch that wrote the clashing definition (by SQL, else the last one)."""
    from gtsd_tui.core.sql.sql_objects import sql_touches

    name = clash.name
    for m in migrations:
        for t in sql_touches(folder.read_bytes(m).decode("utf-8", "replace")):
            if t.name == name or t.name.startswith(name + ".") or name.startswith(t.name + "."):
                return m
    return migrations[-1] if migrations else None


def fork_findings(folder: Folder) -> list[dict[str, Any]]:
    """Findings (as keyword dicts for conflicts.Finding) for every fork: clashes, then overlaps."""
    out: list[dict[str, Any]] = []
    found = forks(folder)
    if found:
        from gtsd_tui.core.merging.snapshot_merge import definition
    for fork in found:
        clashed = {(c.kind, c.name) for c in fork.clashes}
        for c in fork.clashes:
            mo = _first_change(folder, fork.ours, c, "ours")
            mt = _first_change(folder, fork.theirs, c, "theirs")
            files = tuple(m.file for m in (mt, mo) if m is not None and m.file)
            edit = mt.file if mt and mt.file else "the later branch's migration"
            out.append(
                {
                    "code": "schema-conflict",
                    "severity": ERROR,
                    "files": files,
                    "message": (
                        f"{c.kind} {c.name}: {c.reason}: ours ({mo.tag if mo else '?'}) "
                        f"{definition(c.kind, c.ours)}; theirs ({mt.tag if mt else '?'}) "
                        f"{definition(c.kind, c.theirs)}; base {definition(c.kind, c.base)}"
                    ),
                    "fix": f"edit {edit} (and the schema) so both branches agree, then gtsd-tui renumber",
                    "detail": {
                        **c.to_json(),
                        "base_snapshot": fork.base,
                        "ours_migration": mo.tag if mo else None,
                        "theirs_migration": mt.tag if mt else None,
                    },
                }
            )
        for o in fork.overlaps:
            if (o.kind, o.name) in clashed:
                continue
            files = tuple(
                dict.fromkeys(m.file for m in fork.ours + fork.theirs if m.file and _touches_obj(folder, m, o))
            )
            verdict = "applying both fails" if o.certain_failure else "check the order"
            out.append(
                {
                    "code": "overlap",
                    "severity": ERROR if o.certain_failure else WARNING,
                    "files": files,
                    "message": f"{o.kind} {o.name} is changed on both branches ({verdict}): "
                    f"ours `{o.ours[0]}`; theirs `{o.theirs[0]}`",
                    "fix": "keep the change in one branch only" if o.certain_failure else None,
                    "detail": {
                        "kind": o.kind,
                        "object": o.name,
                        "reason": verdict,
                        "base_snapshot": fork.base,
                        "ours": list(o.ours),
                        "theirs": list(o.theirs),
                    },
                }
            )
    return out


def _touches_obj(folder: Folder, m: Migration, o: Overlap) -> bool:
    from gtsd_tui.core.sql.sql_objects import sql_touches

    return any(
        (t.kind, t.name) == (o.kind, o.name) for t in sql_touches(folder.read_bytes(m).decode("utf-8", "replace"))
    )


def snapshot_findings(folder: Folder) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    ids = {s.id for s in folder.snapshots if s.id}
    for s in folder.snapshots:
        if s.prev_id and s.prev_id != ORIGIN_UUID and s.prev_id not in ids:
            out.append(
                {
                    "code": "snapshot-dangling",
                    "severity": WARNING,
                    "files": ("meta/" + s.name,),
                    "message": f"prevId {s.prev_id[:8]}... names no snapshot in meta/ (its parent was deleted "
                    "or never committed)",
                    "fix": "gtsd-tui renumber re-links it into the chain (its plan says so)",
                }
            )
        if s.readable and (s.version, s.dialect) != ("7", "postgresql"):
            from gtsd_tui.core.merging.snapshot_merge import version_problem

            problem = version_problem({"version": s.version, "dialect": s.dialect})
            if problem:
                out.append(
                    {
                        "code": "snapshot-version",
                        "severity": WARNING,
                        "files": ("meta/" + s.name,),
                        "message": f"{problem}: not merged by renumber",
                    }
                )
    return out


def already_made(folder: Folder, m: Migration) -> list[str]:
    """The objects an unjournaled file creates, when every one already exists in the folder's last
    snapshot (a later migration made the same change); [] otherwise."""
    last = _last_snapshot(folder)
    if last is None or m.file is None:
        return []
    text = folder.read_bytes(m).decode("utf-8", "replace")
    names = _object_names(last)
    if not names or names.isdisjoint(re.findall(r"\w+", text)):
        return []  # it names no existing object: no parse needed
    from gtsd_tui.core.sql.sql_objects import CREATE, sql_touches

    creates = [t for t in sql_touches(text) if t.action == CREATE]
    if not creates or not all(_exists(last, t) for t in creates):
        return []
    return list(dict.fromkeys(f"{t.kind} {t.name}" for t in creates))


def _last_snapshot(folder: Folder) -> dict[str, Any] | None:
    """The body of the folder's last snapshot (drizzle-kit's "previous": the last name in meta/)."""
    if folder.loaded_last is None:
        snaps = [s for s in folder.snapshots if s.side is None and s.readable]
        folder.loaded_last = (max(snaps, key=lambda s: s.name).data or {}) if snaps else {}
    return folder.loaded_last or None


def _object_names(snap: dict[str, Any]) -> set[str]:
    out: set[str] = set()
    for key in ("tables", "enums", "sequences"):
        for obj in (snap.get(key) or {}).values():
            if isinstance(obj, dict) and isinstance(obj.get("name"), str):
                out.add(obj["name"])
    return out


def _exists(snap: dict[str, Any], t: Touch) -> bool:
    tables = snap.get("tables") or {}

    def table(name: str) -> dict[str, Any] | None:
        key = name if "." in name else f"public.{name}"
        found = tables.get(key)
        return found if isinstance(found, dict) else None

    parts = t.name.rsplit(".", 1)
    if t.kind == "table":
        return table(t.name) is not None
    if t.kind == "column" and len(parts) == 2:
        tab = table(parts[0])
        return tab is not None and parts[1] in (tab.get("columns") or {})
    if t.kind == "index":
        return any(t.name.split(".")[-1] in (tab.get("indexes") or {}) for tab in tables.values())
    if t.kind == "constraint" and len(parts) == 2:
        tab = table(parts[0]) or {}
        keys = ("foreignKeys", "uniqueConstraints", "checkConstraints", "compositePrimaryKeys")
        return any(parts[1] in (tab.get(k) or {}) for k in keys)
    if t.kind == "type":
        key = t.name if "." in t.name else f"public.{t.name}"
        return key in (snap.get("enums") or {})
    if t.kind == "enum value" and len(parts) == 2:
        key = parts[0] if "." in parts[0] else f"public.{parts[0]}"
        return parts[1] in ((snap.get("enums") or {}).get(key) or {}).get("values", [])
    if t.kind == "sequence":
        key = t.name if "." in t.name else f"public.{t.name}"
        return key in (snap.get("sequences") or {})
    return False
