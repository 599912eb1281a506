"""``check --offline --json`` on 5,000 migrations with 50 conflicts, on the real dittofeed folder, and on
that folder converted to Drizzle 1.0's layout by the real ``drizzle-kit up`` (1.0.0-rc.5: a folder per
migration with its ``snapshot.json``; skipped without node), against ``sha256sum`` of the same SQL files
(and of every file the command reads: SQL, journal, snapshots), cold and warm, alternating rounds,
medians.

Cold: the files evicted from the OS page cache before each run of either side (``posix_fadvise``; see
``_common.evict``) and gtsd-tui's digest cache off. Warm: page cache and digest cache warm.
Target (issue 27): ≤ 3x ``sha256sum`` cold and warm. Run: ``python bench/check.py [--rounds N]``
(offline: no database needed). gtsd-tui runs as the installed console script.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DITTOFEED, OUT, cold_warm_rounds, console, folder_files, generate_folder, settle, timed  # noqa: E402


def measure(name: str, folder: Path, expect: dict[str, int], rounds: int) -> None:
    sql = sorted(str(p) for p in folder.glob("*.sql")) or sorted(str(p) for p in folder.glob("*/migration.sql"))
    every = folder_files(folder) if (folder / "meta").is_dir() else sorted(str(p) for p in folder.glob("*/*"))

    def run(env: dict[str, str]) -> float:
        t, r = timed(console("check", "--json", "--offline", "--migrations", str(folder)), env)
        assert r.returncode in (0, 1), r.stderr
        codes = [f["code"] for f in json.loads(r.stdout)["findings"]]
        assert all(codes.count(c) == n for c, n in expect.items()), codes[:5]
        return t

    med = cold_warm_rounds(run, lambda: timed(["sha256sum", *sql])[0], every, rounds)
    every_sha = cold_warm_rounds(lambda env: 0.0, lambda: timed(["sha256sum", *every])[0], every, max(3, rounds // 2))
    for state in ("cold", "warm"):
        ratio = med[state] / med[f"sha {state}"]
        print(
            f"check --offline --json, {name}, {state}: {med[state]:.3f}s  sha256sum of the {len(sql)} SQL files: "
            f"{med[f'sha {state}']:.3f}s  ratio {ratio:.2f}x  (of all {len(every)} files read: "
            f"{every_sha[f'sha {state}']:.3f}s, {med[state] / every_sha[f'sha {state}']:.2f}x)  (target: <= 3x)"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=7)
    opts = ap.parse_args()
    folder = OUT / "check5000"
    shutil.rmtree(folder, ignore_errors=True)
    generate_folder(folder, 5000)
    for i in range(50):  # hand-written files that reuse a number: duplicate-prefix + not-in-journal
        (folder / f"{100 * i:04d}_conflict_{i}.sql").write_text(f"CREATE TABLE IF NOT EXISTS c{i} (id int);")
    real = OUT / "check-dittofeed"
    shutil.rmtree(real, ignore_errors=True)
    shutil.copytree(DITTOFEED, real)  # a fresh copy: the corpus is read-only, and the digest cache sees new inodes
    real.chmod(0o755)
    for p in real.rglob("*"):
        p.chmod(0o755 if p.is_dir() else 0o644)
    settle(folder)
    settle(real)
    measure("5000 generated (50 conflicts)", folder, {"duplicate-prefix": 50, "not-in-journal": 50}, opts.rounds)
    measure("dittofeed (real, 12 files)", real, {}, opts.rounds)
    v1 = _dittofeed_v1()
    if v1 is not None:
        settle(v1)
        measure("dittofeed as Drizzle 1.0 (drizzle-kit up, 11 migrations)", v1, {}, opts.rounds)


def _dittofeed_v1() -> Path | None:
    """dittofeed's folder converted by drizzle-kit 1.0.0-rc.5's own ``up`` (None without node)."""
    if shutil.which("node") is None:
        print("dittofeed as Drizzle 1.0: skipped (node is not on PATH)")
        return None
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.helpers.node_v1 import up_v1

    project = OUT / "check-dittofeed-v1"
    shutil.rmtree(project, ignore_errors=True)
    shutil.copytree(DITTOFEED, project / "drizzle")
    for p in project.rglob("*"):
        p.chmod(0o755 if p.is_dir() else 0o644)
    r = up_v1(project)
    if r.returncode != 0 or (project / "drizzle" / "meta").exists():
        raise SystemExit(f"bench: drizzle-kit up failed: {r.stdout[-500:]} {r.stderr[-500:]}")
    return project / "drizzle"


if __name__ == "__main__":
    main()
