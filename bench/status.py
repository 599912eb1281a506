"""``status --json`` on 5,000 migrations with 4,000 applied, against ``sha256sum`` of the same files.

Target: the whole command under 1.5 s and within 10x of the hashing floor.
Run: ``python bench/status.py`` (uses DATABASE_URL, else the embedded server under bench/.out).
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import OUT, cold_and_warm, database_url, fresh_database, generate_folder, gtsd, report, settle, timed  # noqa: E402


def main() -> None:
    import psycopg

    from gtsd_tui.core.migrations.folder import load_folder
    from gtsd_tui.db.history import ensure_table, insert_row_sql

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
    files = sorted(str(p) for p in folder.glob("*.sql"))
    timed(["sha256sum", *files])  # warm the page cache for both
    best_sha = min(timed(["sha256sum", *files])[0] for _ in range(3))
    settle(folder)

    def run(env: dict[str, str]) -> float:
        t, r = timed(gtsd("status", "--json", "--migrations", str(folder), "--database-url", url), env)
        assert r.returncode == 0, r.stderr
        data = json.loads(r.stdout)
        states = {s: sum(1 for m in data["migrations"] if m["state"] == s) for s in ("applied", "pending")}
        assert states == {"applied": 4000, "pending": 1000}, states
        return t

    cold, warm = cold_and_warm(run)
    name = "gtsd-tui status --json (5000 files, 4000 applied)"
    report(f"{name}, every file hashed", cold, "sha256sum", best_sha, "< 1.5 s and < 10x")
    report(f"{name}, digest cache warm", warm, "sha256sum", best_sha, "< 1.5 s and < 10x")


if __name__ == "__main__":
    main()
