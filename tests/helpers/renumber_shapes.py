"""Plan shapes for the renumber crash tests, each built as a user's folder would look."""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

from tests.helpers.folders import journal, make_folder, snapshot, write_journal
from tests.helpers.git import git, merged_repo
from tests.helpers.renumber_states import FUTURE, Shape


def commit_all(repo: Path) -> None:
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "folder")


def append(folder: Path, tag: str, sql: str, *, when: int, journaled: bool = True, snap: bool = True) -> None:
    """A migration file, optionally in the journal and with its own snapshot chained to the last one."""
    (folder / f"{tag}.sql").write_text(sql)
    if journaled:
        j = journal(folder)
        j["entries"].append({"idx": len(j["entries"]), "version": "7", "when": when, "tag": tag, "breakpoints": True})
        write_journal(folder, j["entries"])
    if snap:
        prefix = tag.split("_", 1)[0]
        last = sorted((folder / "meta").glob("*_snapshot.json"))[-1]
        prev = json.loads(last.read_text())["id"]
        (folder / "meta" / f"{prefix}_snapshot.json").write_text(
            json.dumps(snapshot(str(uuid.uuid4()), prev), indent=2)
        )


def base_folder(path: Path, n: int = 4) -> Path:
    names = ["init", "users", "posts", "bar", "tags", "likes"][:n]
    return make_folder(path, [(s, f'CREATE TABLE "{s}_{i}" ("id" int);\n') for i, s in enumerate(names)], FUTURE)


def chained(tmp: Path) -> Shape:
    """0003_foo -> 0004_foo while 0004_foo -> 0005_foo (two branches' ``foo`` migrations), in git."""
    root = tmp / "chained"
    folder = base_folder(root / "migrations")
    append(folder, "0003_foo", "-- branch b's foo\nSELECT 3;\n", when=FUTURE + 10_000, snap=False)
    append(folder, "0004_foo", "-- branch b's second foo\nSELECT 4;\n", when=FUTURE + 11_000)
    commit_all(root)
    return Shape(root, "migrations", git=True)


def collisions_mid_merge(tmp: Path, sample: Path) -> Shape:
    """A real ``git merge`` of two branches that both added 0004: conflicted journal and snapshot."""
    root = tmp / "merge"
    root.mkdir(parents=True)
    repo = merged_repo(root, sample, FUTURE, FUTURE + 100_000)
    return Shape(repo, "migrations", git=True)


def orphans(tmp: Path) -> Shape:
    """Hand-written files nobody added to the journal (registered with snapshots of their own)."""
    root = tmp / "orphans"
    folder = base_folder(root / "migrations")
    for n, name in ((8, "add_streaks"), (9, "add_badges"), (10, "seed_badges"), (11, "bar")):
        (folder / f"{n:04d}_{name}.sql").write_text(f"CREATE TABLE IF NOT EXISTS t_{n} (id int);\n")
    return Shape(root, "migrations", git=False)


def moved_snapshots(tmp: Path) -> Shape:
    """Two 0004s resolved by hand (both in the journal) and later ones: snapshots shift up, in git."""
    root = tmp / "moved"
    folder = base_folder(root / "migrations")
    append(folder, "0004_a", "SELECT 'a';\n", when=FUTURE + 10_000)
    append(folder, "0004_b", "SELECT 'b';\n", when=FUTURE + 11_000, snap=False)
    append(folder, "0005_c", "SELECT 'c';\n", when=FUTURE + 12_000)
    append(folder, "0006_d", "SELECT 'd';\n", when=FUTURE + 13_000)
    commit_all(root)
    return Shape(root, "migrations", git=True)


def restamped_chain(tmp: Path) -> Shape:
    """A longer chain of same-named files plus a when out of order, outside git (sibling workspace)."""
    root = tmp / "restamped"
    folder = base_folder(root / "migrations")
    append(folder, "0003_x", "SELECT 30;\n", when=FUTURE + 10_000, snap=False)
    append(folder, "0004_x", "SELECT 40;\n", when=FUTURE + 11_000)
    append(folder, "0005_x", "SELECT 50;\n", when=FUTURE + 12_000)
    append(folder, "0006_y", "SELECT 60;\n", when=FUTURE - 1)
    return Shape(root, "migrations", git=False)


def copy_shape(shape: Shape, dest: Path) -> Shape:
    shutil.copytree(shape.root, dest)
    return Shape(dest, shape.folder_rel, shape.git)
