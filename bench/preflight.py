"""``gtsd-tui preflight`` of the rehearse bench's 50 pending migrations (``bench/rehearse.py`` builds them:
10 applied tables with 2,000 rows each, then new tables with foreign keys, added columns, indexes, type
changes and backfills) against ``gtsd-tui migrate --dry-run`` of the same 50 on the same target, same
run, alternating. Target: preflight within 3x of the dry run.

Most of those checks are answered without a query (tables the pending statements create have no
rows), so a second folder measures the queries: the same 10 tables, then 30 pending statements that
each need a query on them (SET NOT NULL, a unique constraint, a CHECK), against the dry run of those.
"""

from __future__ import annotations

import compileall
import json
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _common import database_url, drop_databases, gtsd, timed  # noqa: E402
from rehearse import BASE, BP, OUT, PENDING, base_database, make_folder  # noqa: E402


def query_folder() -> Path:
    """The rehearse bench's 10 base migrations, then 30 statements that each need a query on their rows."""
    import shutil

    src = make_folder()
    folder = OUT / "preflight40"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(src, folder)
    entries = json.loads((folder / "meta" / "_journal.json").read_text())["entries"]
    for i in range(BASE, BASE + PENDING):
        (folder / f"{i:04d}_gen_{i}.sql").write_text("SELECT 1;")  # pending, no check: the plan stays the same
    kinds = (
        'ALTER TABLE "t{t}" ALTER COLUMN "v" SET NOT NULL;',
        'ALTER TABLE "t{t}" ADD CONSTRAINT "t{t}_v_u" UNIQUE("v");',
        'ALTER TABLE "t{t}" ADD CONSTRAINT "t{t}_v_ck" CHECK ("t{t}"."v" > 0);',
    )
    (folder / f"{BASE:04d}_gen_{BASE}.sql").write_text(BP.join(k.format(t=t) for t in range(BASE) for k in kinds))
    assert len(entries) == BASE + PENDING
    return folder


def measure(label: str, folder: Path, target: str, reps: int) -> None:
    common = ("--migrations", str(folder), "--database-url", target)
    pre, dry = [], []
    out: dict = {}
    for _ in range(reps):  # interleaved, so both sides see the same load
        t, r = timed(gtsd("preflight", "--json", *common))
        assert r.returncode == 0, r.stdout + r.stderr
        out = json.loads(r.stdout)
        pre.append(t)
        t, r = timed(gtsd("migrate", "--dry-run", *common))
        assert r.returncode == 0, r.stderr
        dry.append(t)
    t_p, t_d = statistics.median(pre), statistics.median(dry)
    queried = sum(f["query"] is not None for f in out["findings"])
    print(f"{label}: {len(out['findings'])} checks, {queried} run as queries on the target")
    print(f"  preflight {t_p:.3f}s, migrate --dry-run {t_d:.3f}s (medians of {reps})")
    print("  in order, preflight:", " ".join(f"{x:.2f}" for x in pre))
    print("  in order, dry run:  ", " ".join(f"{x:.2f}" for x in dry))
    print(f"  ratio preflight/dry-run {t_p / t_d:.2f}x (target <= 3x)")


def main() -> None:
    compileall.compile_dir(Path(__file__).resolve().parent.parent / "gtsd_tui", quiet=1)
    reps = int(os.environ.get("BENCH_REPS", "9"))
    admin = database_url()
    folder = make_folder()
    target = base_database(admin, folder, "bench_preflight_target")
    measure(f"the rehearse bench's {PENDING} migrations", folder, target, reps)
    measure("30 statements each checked by a query", query_folder(), target, reps)
    drop_databases(admin, "bench_preflight_target")
    print(f"load average {os.getloadavg()[0]:.2f}; package byte-compiled first")


if __name__ == "__main__":
    main()
