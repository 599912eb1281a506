"""``status --json`` on 5,000 migrations with 4,000 applied, against ``sha256sum`` of the same SQL files
(and of every file the command reads), cold and warm, alternating rounds, medians.

Cold: the files evicted from the OS page cache before each run of either side (``posix_fadvise``; see
``_common.evict``) and gtsd-tui's digest cache off. Warm: page cache and digest cache warm.
Target (issue 27): ≤ 3x ``sha256sum`` cold and warm. Run: ``python bench/status.py [--rounds N]`` (uses
DATABASE_URL, else the embedded server under bench/.out). gtsd-tui runs as the installed console script.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    OUT,
    cold_warm_rounds,
    console,
    database_url,
    folder_files,
    fresh_database,
    generate_folder,
    settle,
    timed,
)


def main() -> None:
    import psycopg

    from gtsd_tui.core.migrations.folder import load_folder
    from gtsd_tui.db.history import ensure_table, insert_row_sql

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=7)
    opts = ap.parse_args()
    folder = OUT / "status5000"
    shutil.rmtree(folder, ignore_errors=True)
    generate_folder(folder, 5000)
    url = fresh_database(database_url(), "bench_status")
    model = load_folder(folder)
    with psycopg.connect(url, autocommit=True) as conn:
        ensure_table(conn, "drizzle", "__drizzle_migrations")
        with conn.cursor() as cur:
            cur.executemany(
                insert_row_sql("drizzle", "__drizzle_migrations"), [(m.hash, m.when) for m in model.migrations[:4000]]
            )
    sql = sorted(str(p) for p in folder.glob("*.sql"))
    every = folder_files(folder)
    settle(folder)

    def run(env: dict[str, str]) -> float:
        t, r = timed(console("status", "--json", "--migrations", str(folder), "--database-url", url), env)
        assert r.returncode == 0, r.stderr
        data = json.loads(r.stdout)
        states = {s: sum(1 for m in data["migrations"] if m["state"] == s) for s in ("applied", "pending")}
        assert states == {"applied": 4000, "pending": 1000}, states
        return t

    med = cold_warm_rounds(run, lambda: timed(["sha256sum", *sql])[0], every, opts.rounds)
    every_sha = cold_warm_rounds(lambda env: 0.0, lambda: timed(["sha256sum", *every])[0], every, 3)
    for state in ("cold", "warm"):
        ratio = med[state] / med[f"sha {state}"]
        print(
            f"status --json, 5000 generated (4000 applied), {state}: {med[state]:.3f}s  sha256sum of the "
            f"{len(sql)} SQL files: {med[f'sha {state}']:.3f}s  ratio {ratio:.2f}x  (of all {len(every)} files "
            f"read: {every_sha[f'sha {state}']:.3f}s, {med[state] / every_sha[f'sha {state}']:.2f}x)  (target: <= 3x)"
        )


if __name__ == "__main__":
    main()
