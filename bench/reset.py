"""First ``reset`` (drop, create, migrate, save template) against a second one with unchanged
migrations (the prepared spare swapped in), on the sample folder plus 200 generated migrations.
Alternating rounds (the template and spare dropped before each first reset), medians.
Target: the second at least 10x faster. Runs on a server configured like the app's embedded
default (fsync on, synchronous_commit off), or on DATABASE_URL.
"""

from __future__ import annotations

import compileall
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
    import os
    import statistics

    compileall.compile_dir(ROOT / "gtsd_tui", quiet=1)  # as an installed package is (bench/rehearse.py)
    folder = OUT / "reset204"
    shutil.rmtree(folder, ignore_errors=True)
    build(folder)
    url = fresh_database(database_url(durable=True), "bench_reset")
    args = ("reset", "--yes", "--migrations", str(folder), "--database-url", url)
    firsts, seconds = [], []
    for _ in range(int(os.environ.get("BENCH_REPS", "3"))):  # alternating: both sides see the same load
        wait_for_copy(url)
        forget_template(url)  # so that this reset is a first one: migrate 204, save the template
        t, r = timed(gtsd(*args))
        assert r.returncode == 0 and "save template" in r.stdout, r.stdout + r.stderr
        firsts.append(t)
        wait_for_copy(url)  # resets are seconds apart in real use; the copy is prepared in the background
        t, r = timed(gtsd(*args))
        assert r.returncode == 0 and "swap in prepared copy" in r.stdout, r.stdout + r.stderr
        seconds.append(t)
    t_first, t_second = statistics.median(firsts), statistics.median(seconds)
    t_clone, r = timed(gtsd(*args))  # straight after another: no copy ready yet, so a clone of the template
    kind = "clone of the template" if "clone" in r.stdout else "prepared copy"
    t_pass = min(timed([sys.executable, "-c", "pass"])[0] for _ in range(5))
    print(f"first reset (migrate 204, save template): {t_first:.3f}s (median of {len(firsts)})")
    print(f"reset with unchanged migrations (prepared copy swapped in): {t_second:.3f}s (median of {len(seconds)})")
    print("in order, first: ", " ".join(f"{x:.2f}" for x in firsts))
    print("in order, second:", " ".join(f"{x:.2f}" for x in seconds))
    pairs = " ".join(f"{f / s:.1f}" for f, s in sorted(zip(firsts, seconds, strict=True), key=lambda p: p[0] / p[1]))
    print(f"per pair: {pairs}")
    print(f"speed-up {t_first / t_second:.1f}x (target >= 10x)")
    print(f"reset straight after another ({kind}): {t_clone:.3f}s  speed-up {t_first / t_clone:.1f}x")
    print(f"for scale: python -c pass {t_pass:.3f}s (best of 5)")


def forget_template(url: str) -> None:
    """Drop the template and the spare of the bench's database (the next reset is then a first one)."""
    import psycopg
    from psycopg import sql

    from gtsd_tui.db import admin

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        for db in (admin.spare_name(name), admin.template_name(name)):
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(db)))


def wait_for_copy(url: str) -> None:
    import time

    import psycopg

    from gtsd_tui.db import admin

    name = url.rsplit("/", 1)[1]
    for _ in range(600):  # the spare made (labelled) and the trash dropped: the background job is done
        with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres") as conn:
            if not admin.exists(conn, admin.template_name(name)):
                return  # no reset made one yet: no job to wait for
            if admin.spare_fingerprint(conn, admin.spare_name(name)) and not admin.trash_of(conn, name):
                return
        time.sleep(0.1)


if __name__ == "__main__":
    main()
