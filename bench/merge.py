"""Renumber's plan with the three-way snapshot merge, on a merged folder: a 500-table snapshot and
20 migrations on each branch (git's conflict markers in the 20 shared snapshot files), against
reading and json-parsing the same snapshot files, measured in the same run.

Target: within 3x. Run: ``python bench/merge.py`` (offline: no database needed).
"""

from __future__ import annotations

import copy
import json
import shutil
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import OUT  # noqa: E402

from gtsd_tui.core.merging.renumber import plan_renumber  # noqa: E402
from gtsd_tui.core.migrations.folder import load_folder  # noqa: E402
from gtsd_tui.core.migrations.snapshots import empty_snapshot  # noqa: E402

TABLES, STEPS = 500, 20


def table(name: str) -> dict[str, Any]:
    """A table shaped like drizzle-kit 0.31's output (columns, an index, a foreign key)."""

    def col(n: str, typ: str, not_null: bool, **extra: Any) -> dict[str, Any]:
        return {"name": n, "type": typ, "primaryKey": n == "id", "notNull": not_null, **extra}

    return {
        "name": name,
        "schema": "",
        "columns": {
            "id": col("id", "uuid", True, default="gen_random_uuid()"),
            "user_id": col("user_id", "uuid", True),
            "title": col("title", "varchar(255)", True),
            "status": col("status", "text", True, default="'open'"),
            "notes": col("notes", "text", False),
            "created_at": col("created_at", "timestamp with time zone", True, default="now()"),
        },
        "indexes": {
            f"{name}_user_id_idx": {
                "name": f"{name}_user_id_idx",
                "columns": [{"expression": "user_id", "isExpression": False, "asc": True, "nulls": "last"}],
                "isUnique": False,
                "concurrently": False,
                "method": "btree",
                "with": {},
            }
        },
        "foreignKeys": {
            f"{name}_user_id_users_id_fk": {
                "name": f"{name}_user_id_users_id_fk",
                "tableFrom": name,
                "tableTo": "users",
                "columnsFrom": ["user_id"],
                "columnsTo": ["id"],
                "onDelete": "cascade",
                "onUpdate": "no action",
            }
        },
        "compositePrimaryKeys": {},
        "uniqueConstraints": {},
        "policies": {},
        "checkConstraints": {},
        "isRLSEnabled": False,
    }


def dump(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)


def build(folder: Path) -> list[Path]:
    (folder / "meta").mkdir(parents=True)
    base = empty_snapshot(str(uuid.uuid4()), "00000000-0000-0000-0000-000000000000")
    base["tables"] = {f"public.t{i:03d}": table(f"t{i:03d}") for i in range(TABLES)}
    (folder / "0000_init.sql").write_text('CREATE TABLE "t000" ("id" uuid PRIMARY KEY);')
    (folder / "meta/0000_snapshot.json").write_text(dump(base))
    entries = [{"idx": 0, "version": "7", "when": 1_700_000_000_000, "tag": "0000_init", "breakpoints": True}]
    sides: dict[str, list[dict[str, Any]]] = {}
    for side in ("a", "b"):
        prev, out = base, []
        for i in range(1, STEPS + 1):
            snap = copy.deepcopy(prev)
            snap["id"], snap["prevId"] = str(uuid.uuid4()), prev["id"]
            name = f"{side}_new_{i:02d}"
            snap["tables"][f"public.{name}"] = table(name)
            snap["tables"] = dict(sorted(snap["tables"].items()))
            tag = f"{i:04d}_{name}"
            (folder / f"{tag}.sql").write_text(f'CREATE TABLE "{name}" ("id" uuid PRIMARY KEY);')
            when = 1_700_000_000_000 + i * 1000 + (0 if side == "a" else 500)
            entries.append({"idx": i, "version": "7", "when": when, "tag": tag, "breakpoints": True})
            out.append(snap)
            prev = snap
        sides[side] = out
    for i in range(STEPS):  # each shared snapshot file as git leaves it: both versions between markers
        ours, theirs = dump(sides["a"][i]), dump(sides["b"][i])
        text = f"<<<<<<< HEAD\n{ours}\n=======\n{theirs}\n>>>>>>> b\n"
        (folder / f"meta/{i + 1:04d}_snapshot.json").write_text(text)
    a_entries = [entries[0]] + [e for e in entries[1:] if "_a_" in e["tag"]]
    b_entries = [entries[0]] + [e for e in entries[1:] if "_b_" in e["tag"]]
    journal = (
        "<<<<<<< HEAD\n"
        + dump({"version": "7", "dialect": "postgresql", "entries": a_entries})
        + "\n=======\n"
        + dump({"version": "7", "dialect": "postgresql", "entries": b_entries})
        + "\n>>>>>>> b\n"
    )
    (folder / "meta/_journal.json").write_text(journal)
    return sorted((folder / "meta").glob("*_snapshot.json"))


def baseline(files: list[Path]) -> float:
    """Read every snapshot file and json-parse every version it holds."""
    start = time.perf_counter()
    for f in files:
        text = f.read_text()
        if text.startswith("<<<<<<<"):
            body = text.split("\n", 1)[1].rsplit("\n>>>>>>>", 1)[0]
            for part in body.split("\n=======\n"):
                json.loads(part)
        else:
            json.loads(text)
    return time.perf_counter() - start


def ours() -> tuple[float, int, int]:
    start = time.perf_counter()
    folder = load_folder(OUT / "merge500")
    plan = plan_renumber(folder, pinned=None, now_ms=1_800_000_000_000)
    elapsed = time.perf_counter() - start
    return elapsed, len(plan.brought), len(plan.clashes)


def main() -> None:
    folder = OUT / "merge500"
    shutil.rmtree(folder, ignore_errors=True)
    files = build(folder)
    size = sum(f.stat().st_size for f in files) / 1e6
    base = min(baseline(files) for _ in range(3))
    runs = [ours() for _ in range(3)]
    best = min(r[0] for r in runs)
    _, brought, clashes = runs[0]
    assert brought == STEPS * STEPS and clashes == 0, (brought, clashes)  # each moved snapshot gains 20 tables
    print(f"folder: {TABLES}-table snapshot, {STEPS} migrations per branch, {len(files)} snapshot files, {size:.0f} MB")
    print(f"read + json-parse every snapshot version: {base * 1000:8.1f} ms")
    print(f"plan + three-way merge (20 moved)        : {best * 1000:8.1f} ms")
    print(f"ratio: {best / base:.2f}x (target: within 3x)")


if __name__ == "__main__":
    main()
