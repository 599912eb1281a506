"""``git merge`` with the gtsd-tui driver and hooks installed, against the same ``git merge`` with no
driver plus one ``gtsd-tui renumber --yes``: 20 migrations per side on a 500-table project (the
shapes of bench/merge.py), measured alternately in the same run, medians.

Both end committed with the same folder (checked): ours includes committing the renames the
post-merge hook staged (through the pre-commit hook's check); the yardstick includes the
`git commit` that concludes its merge (no hooks there).

Run: ``python bench/git_merge.py [ROUNDS]`` (offline: no database needed).
"""

from __future__ import annotations

import copy
import os
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import OUT  # noqa: E402
from merge import STEPS, TABLES, dump, table  # noqa: E402

from gtsd_tui.core.migrations.snapshots import empty_snapshot  # noqa: E402

GIT_ENV = {
    "GIT_AUTHOR_NAME": "b",
    "GIT_AUTHOR_EMAIL": "b@example.invalid",
    "GIT_COMMITTER_NAME": "b",
    "GIT_COMMITTER_EMAIL": "b@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
    "HOME": str(OUT),
}


def git(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-c", "init.defaultBranch=main", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=check,
        env={**os.environ, **GIT_ENV},
    )


def cli(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | GIT_ENV
    return subprocess.run([sys.executable, "-m", "gtsd_tui", *args], cwd=repo, capture_output=True, text=True, env=env)


def journal(entries: list[dict[str, Any]]) -> str:
    return dump({"version": "7", "dialect": "postgresql", "entries": entries})


def build(repo: Path) -> None:
    """main: one migration with a 500-table snapshot; branches a and b: 20 migrations each from it."""
    folder = repo / "drizzle"
    (folder / "meta").mkdir(parents=True)
    git(repo, "init", "-q")
    base = empty_snapshot(str(uuid.uuid4()), "00000000-0000-0000-0000-000000000000")
    base["tables"] = {f"public.t{i:03d}": table(f"t{i:03d}") for i in range(TABLES)}
    (folder / "0000_init.sql").write_text('CREATE TABLE "t000" ("id" uuid PRIMARY KEY);')
    (folder / "meta/0000_snapshot.json").write_text(dump(base))
    first = {"idx": 0, "version": "7", "when": 1_700_000_000_000, "tag": "0000_init", "breakpoints": True}
    (folder / "meta/_journal.json").write_text(journal([first]))
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "init")
    for side in ("a", "b"):
        git(repo, "checkout", "-q", "main")
        git(repo, "checkout", "-qb", side)
        prev, entries = base, [first]
        for i in range(1, STEPS + 1):
            snap = copy.deepcopy(prev)
            snap["id"], snap["prevId"] = str(uuid.uuid4()), prev["id"]
            name = f"{side}_new_{i:02d}"
            snap["tables"][f"public.{name}"] = table(name)
            snap["tables"] = dict(sorted(snap["tables"].items()))
            tag = f"{i:04d}_{name}"
            (folder / f"{tag}.sql").write_text(f'CREATE TABLE "{name}" ("id" uuid PRIMARY KEY);')
            (folder / f"meta/{i:04d}_snapshot.json").write_text(dump(snap))
            when = 1_700_000_000_000 + i * 1000 + (0 if side == "a" else 500)
            entries.append({"idx": i, "version": "7", "when": when, "tag": tag, "breakpoints": True})
            prev = snap
        (folder / "meta/_journal.json").write_text(journal(entries))
        git(repo, "add", ".")
        git(repo, "commit", "-qm", side)
    git(repo, "checkout", "-q", "a")


def reset(repo: Path) -> None:
    git(repo, "reset", "-q", "--hard", "a-start")
    git(repo, "clean", "-qfd", "drizzle")


def with_driver(repo: Path) -> tuple[float, float, dict[str, bytes]]:
    reset(repo)
    start = time.perf_counter()
    m = git(repo, "merge", "b", "--no-edit", check=False)
    assert m.returncode == 0, m.stdout + m.stderr
    cmd = [ln.split("commit them: ", 1)[1] for ln in m.stderr.splitlines() if "commit them: " in ln]
    assert cmd, m.stderr
    merged = time.perf_counter() - start
    git(repo, "commit", "-qm", "renumber migrations after merge")
    elapsed = time.perf_counter() - start
    return elapsed, merged, folder_bytes(repo)


def without_driver(repo: Path) -> tuple[float, float, dict[str, bytes]]:
    reset(repo)
    start = time.perf_counter()
    m = git(repo, "merge", "b", "--no-edit", check=False)
    assert m.returncode != 0  # git's ordinary conflict
    merged = time.perf_counter() - start
    r = cli(repo, "renumber", "--yes", "--offline", "--base", "a-start", "--migrations", "drizzle")
    assert r.returncode == 0, r.stdout + r.stderr
    git(repo, "commit", "-q", "--no-edit")
    elapsed = time.perf_counter() - start
    return elapsed, merged, folder_bytes(repo)


def folder_bytes(repo: Path) -> dict[str, bytes]:
    folder = repo / "drizzle"
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    root = OUT / "git_merge"
    shutil.rmtree(root, ignore_errors=True)
    repo, plain = root / "driver", root / "plain"
    repo.mkdir(parents=True)
    build(repo)
    git(repo, "tag", "a-start", "a")
    git(root, "clone", "-q", "--no-local", str(repo), str(plain))
    git(plain, "branch", "-q", "b", "origin/b")
    git(plain, "checkout", "-q", "a")
    r = cli(repo, "git", "install", "--migrations", "drizzle")
    assert r.returncode == 0, r.stdout + r.stderr
    ours_t: list[float] = []
    yard_t: list[float] = []
    ours_m: list[float] = []
    yard_m: list[float] = []
    for i in range(rounds):  # alternate, so both see the same machine load
        order = (with_driver, without_driver) if i % 2 == 0 else (without_driver, with_driver)
        results = {}
        for fn in order:
            target = repo if fn is with_driver else plain
            results[fn.__name__] = fn(target)
        ours_t.append(results["with_driver"][0])
        yard_t.append(results["without_driver"][0])
        ours_m.append(results["with_driver"][1])
        yard_m.append(results["without_driver"][1])
        same = results["with_driver"][2] == results["without_driver"][2]
        assert same, "the driver's folder differs from renumber's"
    size = sum(len(v) for v in folder_bytes(repo).values()) / 1e6
    mo, my = statistics.median(ours_t), statistics.median(yard_t)
    print(f"project: {TABLES}-table snapshot, {STEPS} migrations per side, merged folder {size:.0f} MB")
    print(f"rounds: {rounds}, alternating")
    print(f"git merge + renumber --yes + commit (no driver): median {my:6.2f} s  {[round(t, 2) for t in yard_t]}")
    print(f"   of which git merge (conflicted)              : median {statistics.median(yard_m):6.2f} s")
    print(f"git merge with driver and hooks + commit       : median {mo:6.2f} s  {[round(t, 2) for t in ours_t]}")
    print(f"   of which git merge (driver calls, post-merge): median {statistics.median(ours_m):6.2f} s")
    print("same folder bytes both ways: yes")
    print(f"ratio (driver / yardstick): {mo / my:.2f}x")


if __name__ == "__main__":
    main()
