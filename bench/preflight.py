"""``gtsd-tui preflight`` of the rehearse bench's 50 pending migrations (``bench/rehearse.py`` builds them:
10 applied tables with 2,000 rows each, then new tables with foreign keys, added columns, indexes, type
changes and backfills) against ``gtsd-tui migrate --dry-run`` of the same 50 on the same target, same
run, alternating. Target: preflight within 3x of the dry run.
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
from rehearse import PENDING, base_database, make_folder  # noqa: E402


def main() -> None:
    compileall.compile_dir(Path(__file__).resolve().parent.parent / "gtsd_tui", quiet=1)
    folder = make_folder()
    admin = database_url()
    target = base_database(admin, folder, "bench_preflight_target")
    common = ("--migrations", str(folder), "--database-url", target)
    reps = int(os.environ.get("BENCH_REPS", "9"))
    pre, dry = [], []
    out: dict = {}
    for _ in range(reps):  # interleaved, so both sides see the same load
        t, r = timed(gtsd("preflight", "--json", *common))
        assert r.returncode == 0, r.stdout + r.stderr
        out = json.loads(r.stdout)
        assert len(out["migrations"]) == PENDING, out["migrations"]
        pre.append(t)
        t, r = timed(gtsd("migrate", "--dry-run", *common))
        assert r.returncode == 0, r.stderr
        dry.append(t)
    drop_databases(admin, "bench_preflight_target")
    t_p, t_d = statistics.median(pre), statistics.median(dry)
    ran = sum(f["status"] != "unchecked" for f in out["findings"])
    kinds = sorted({f["kind"] for f in out["findings"]})
    what = f"{len(out['findings'])} checks, {ran} answered, kinds {', '.join(kinds)}"
    print(f"preflight ({what}): {t_p:.3f}s (median of {reps})")
    print(f"migrate --dry-run of the same:  {t_d:.3f}s (median of {reps})")
    print("in order, preflight:", " ".join(f"{x:.2f}" for x in pre))
    print("in order, dry run:  ", " ".join(f"{x:.2f}" for x in dry))
    print(f"load average {os.getloadavg()[0]:.2f}; package byte-compiled first")
    print(f"ratio preflight/dry-run {t_p / t_d:.2f}x (target <= 3x)")


if __name__ == "__main__":
    main()
