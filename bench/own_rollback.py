"""What reading the tracking table back costs, on the one path that does it: a migration's own ``ROLLBACK``.

Under ``--tx all`` a migration's ``ROLLBACK`` undoes the earlier migrations of the run and their
tracking rows; ``migrate`` then reads the table back (``db/runner.py`` ``_held``: the rows, and the
status of the folder against them) to report what stayed. A folder of 40 generated migrations (a table
and two indexes each) whose last one ends with ``ROLLBACK;`` is applied with ``--tx all`` to a fresh
database, in process, round by round; in the same round the read-back is timed again on its own, on a
session to the same database. Printed: the read-back against the whole run (the yardstick), medians.
The ordinary path (no ``ROLLBACK`` in a migration: drizzle-kit never writes one) does not reach it.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _common import OUT, database_url, drop_databases, fresh_database, generate_folder  # noqa: E402

COUNT = 40


def make_folder() -> Path:
    import shutil

    folder = OUT / "own_rollback"
    shutil.rmtree(folder, ignore_errors=True)
    generate_folder(folder, COUNT, statements=3)
    last = folder / f"{COUNT - 1:04d}_gen_{COUNT - 1}.sql"
    last.write_text(last.read_text() + "\n--> statement-breakpoint\nROLLBACK;\n")
    return folder


def main() -> None:
    from gtsd_tui.config import load_settings
    from gtsd_tui.core.migrations.modes import TxMode
    from gtsd_tui.db.runner import RunOptions, RunResult, _held, open_session
    from gtsd_tui.services.apply import ApplyRequest, apply, ignore, plan_only
    from gtsd_tui.services.project import Project

    folder = make_folder()
    admin = database_url()
    reps = int(os.environ.get("BENCH_REPS", "9"))
    runs, reads = [], []
    drop_databases(admin, "bench_own_rollback")
    for _ in range(reps):
        url = fresh_database(admin, "bench_own_rollback")
        project = Project(load_settings(database_url=url, migrations=str(folder), cwd=folder.parent, environ={}))
        request = ApplyRequest(tx_mode=TxMode.ALL)
        plan = plan_only(project, request)
        t0 = time.perf_counter()
        result = apply(project, request, ignore)
        runs.append(time.perf_counter() - t0)
        assert len(result.rolled_back) == COUNT - 1, result.rolled_back  # every earlier migration undone
        loaded = project.load_folder(refresh=True)
        s = project.settings
        with open_session(url) as conn:
            t0 = time.perf_counter()
            held = _held(conn, loaded, RunOptions(s.schema, s.table), plan.steps, RunResult(plan))
            reads.append(time.perf_counter() - t0)
        assert held == {plan.steps[-1].migration.tag}
    drop_databases(admin, "bench_own_rollback")
    run, read = statistics.median(runs), statistics.median(reads)
    print(f"migrate --tx all, {COUNT} migrations, the last ending in ROLLBACK: {run * 1000:.1f} ms (median of {reps})")
    print(f"the tracking table read back (rows + status): {read * 1000:.2f} ms (median of {reps})")
    print(f"ratio read-back / run: {read / run:.3f}x  (per round: {min(reads) * 1000:.2f}-{max(reads) * 1000:.2f} ms)")


if __name__ == "__main__":
    main()
