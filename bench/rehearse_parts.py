"""The parts of a rehearsal one after the other, in one process, each against ``migrate``'s run of the same
50 migrations on a template copy of the same target (the yardstick), alternating, medians.

``bench/rehearse.py`` times whole commands; this one says where the difference goes: the copy
(``CREATE DATABASE ... TEMPLATE``, made at start-up beside the imports in the command), the run's session
on the new copy with the probes prepared (opened beside the plan in the command), the run with a
probe after each statement (batched: one round trip per migration, as ``migrate``; and statement by
statement, the path still taken under ``--tx all``), the schema read after the run, the blockers'
read on the target and the copy's drop. Besides wall time, the server's CPU (its processes' user and
system time from ``/proc``, when the server runs on this machine) and this process's, so a loaded
machine still shows what each part costs.
"""

from __future__ import annotations

import compileall
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _common import database_url, postmaster_pid, server_cpu  # noqa: E402
from rehearse import PENDING, base_database, make_folder  # noqa: E402


def main() -> None:
    compileall.compile_dir(Path(__file__).resolve().parent.parent / "gtsd_tui", quiet=1)
    from gtsd_tui.config import load_settings
    from gtsd_tui.core.sql.stmt_split import statement_chunks
    from gtsd_tui.db.catalog import read_catalog
    from gtsd_tui.db.clone import Clone, drop_clone, make_clone
    from gtsd_tui.db.connect import connect
    from gtsd_tui.db.probe import prepare_probe
    from gtsd_tui.db.runner import open_session
    from gtsd_tui.services import rehearse as svc
    from gtsd_tui.services.apply import ApplyRequest, apply, ignore, plan_only
    from gtsd_tui.services.project import Project

    folder = make_folder()
    target = base_database(database_url(), folder, "bench_parts_target")
    project = Project(load_settings(database_url=target, migrations=str(folder), cwd=folder.parent, environ={}))
    plan = plan_only(project, ApplyRequest())
    loaded = project.load_folder(refresh=True)
    facts = svc.all_facts(loaded, plan.steps)
    total = sum(len(statement_chunks(c)) for s in plan.steps for c in s.chunks)
    skip = "drizzle.__drizzle_migrations"
    pm = postmaster_pid()
    reps = int(os.environ.get("BENCH_REPS", "7"))
    wall: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}

    def timed(part: str, work: Callable[[], Any]) -> Any:
        time.sleep(0.05)  # the sessions closed before have been reaped: their CPU is the postmaster's
        s0, c0, t0 = server_cpu(pm), time.process_time(), time.perf_counter()
        out = work()
        wall.setdefault(part, []).append(time.perf_counter() - t0)
        c1 = time.process_time()
        time.sleep(0.05)  # the part's own closed sessions too (a backend read while it is being reaped is lost)
        cpu.setdefault(part, []).append(server_cpu(pm) - s0 + c1 - c0)
        return out

    def copy() -> Clone:
        return make_clone(target, "drizzle", "__drizzle_migrations", lambda: "", lambda: "")

    def session_on(clone: Clone) -> Any:
        conn = open_session(clone.url)
        prepare_probe(conn)
        return conn

    def run(clone: Clone, batched: bool, session: Any) -> svc.Recorder:
        recorder = svc.Recorder(loaded, total, ignore, facts)
        if not batched:
            recorder.batch_probes = lambda *_: None  # type: ignore[method-assign]
        result = apply(project, ApplyRequest(), url=clone.url, observer=recorder, planned=True, session=session)
        assert len(result.applied_tags) == PENDING
        return recorder

    def schema(url: str) -> Any:
        with connect(url) as conn:
            return read_catalog(conn, skip_table=skip)

    def blockers(recorder: svc.Recorder) -> None:
        with connect(target) as conn:
            svc.add_blockers(conn, recorder.records)

    def migrate_run() -> None:
        clone = copy()
        try:
            result = timed("migrate: the run (yardstick)", lambda: apply(project, ApplyRequest(), url=clone.url))
            assert len(result.applied_tags) == PENDING
        finally:
            drop_clone(clone)

    def rehearsal(batched: bool) -> None:
        clone = timed("copy (CREATE DATABASE ... TEMPLATE)", copy)
        try:
            timed("schema read on the target (beside the run)", lambda: schema(target))
            # in the command, opened beside the plan once an early copy is made
            session = timed("run's session on the new copy, probes prepared", lambda: session_on(clone))
            name = "run with probes, batched" if batched else "run with probes, one statement at a time"
            recorder = timed(name, lambda: run(clone, batched, session))
            timed("schema read after the run", lambda: schema(clone.url))
            timed("blockers' read on the target", lambda: blockers(recorder))
        finally:
            timed("drop of the copy", lambda: drop_clone(clone))

    kinds: list[Callable[[], None]] = [migrate_run, lambda: rehearsal(True), lambda: rehearsal(False)]
    for i in range(reps):  # rotated, so each kind runs first, second and third as often
        for work in kinds[i % 3 :] + kinds[: i % 3]:
            work()
    yard = statistics.median(wall["migrate: the run (yardstick)"])
    yard_cpu = statistics.median(cpu["migrate: the run (yardstick)"])
    print(f"{'part':45s} {'wall':>9s} {'× run':>7s} {'cpu':>9s} {'× run':>7s}  (medians of {reps})")
    for part, times in wall.items():
        w, c = statistics.median(times), statistics.median(cpu[part])
        print(f"{part:45s} {w * 1000:7.0f}ms {w / yard:6.2f}x {c * 1000:7.0f}ms {c / yard_cpu:6.2f}x")
    print(f"cpu: server processes{' (not measured: DATABASE_URL)' if pm is None else ''} + this process")
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
