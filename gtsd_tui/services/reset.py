"""Reset a local database: drop, recreate, migrate, seed; clone a template when migrations are unchanged."""

from __future__ import annotations

import hashlib
import os
import signal
import sys
import time
from collections.abc import Callable
from typing import Any

from gtsd_tui.errors import DatabaseError
from gtsd_tui.services.project import Project

Progress = Callable[[str], None]


def _quiet(message: str) -> None:
    """Reset steps heard by nobody (the CLI prints only the timings)."""


def target_name(url: str) -> str:
    """The database a reset drops and recreates (read by the bundled libpq when it can, so that a reset
    with unchanged migrations never imports psycopg: see ``db/quick_reset.py``)."""
    from gtsd_tui.db.quick_reset import conninfo

    info = conninfo(url)
    if info is not None:
        return info.get("dbname") or ""
    from gtsd_tui.db.admin import dbname_of

    return dbname_of(url)


def fingerprint(project: Project) -> str:
    folder = project.load_folder()
    h = hashlib.sha256(f"{project.settings.schema}.{project.settings.table}".encode())
    for m in folder.journal_migrations:
        h.update(f"{m.tag}:{m.when}:{m.hash}\n".encode())
    return h.hexdigest()[:32]


_KILL_ENV = "GTSD_TEST_KILL_RESET_STEP"  # test hook: SIGKILL ourselves after step N of the reset


def _kill_hook() -> Callable[[str], None]:
    """Counts the reset's steps; with ``GTSD_TEST_KILL_RESET_STEP=N`` the process kills itself (SIGKILL)
    right after step N (the crash tests' way to stop a reset at every point)."""
    want = os.environ.get(_KILL_ENV)
    count = 0

    def step(_name: str) -> None:
        nonlocal count
        count += 1
        if want and want.isdigit() and int(want) == count:
            os.kill(os.getpid(), signal.SIGKILL)

    return step


def reset_database(
    project: Project,
    url: str,
    seed: str | None,
    *,
    use_template: bool = True,
    progress: Progress | None = None,
    wait: float = 60.0,
) -> dict[str, float]:
    """Drop, recreate, migrate, seed; ``progress`` hears each step (the console shows them).

    Under the reset lock of the target (exit 4 after ``wait`` seconds): a target left missing by an
    earlier reset is put back first; a prepared copy (the spare, else a fresh clone of the template)
    replaces the target by renames that put the original back on any failure; the trash is handed to
    the background job, which drops only those names (docs/safety.md)."""
    progress = progress or _quiet
    from gtsd_tui.core.migrations.preflight import require_applicable

    require_applicable(project.load_folder())  # a folder migrate would refuse is refused before the drop
    name = target_name(url)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    wanted = fingerprint(project)
    step = _kill_hook()
    drop = _quick_swap(url, name, wanted, step, timings) if use_template else None
    if drop is None:
        drop = _reset(project, url, name, wanted, use_template, progress, wait, timings, step)
    if use_template or drop:
        spawn_spare(url, name, wanted if use_template else "", drop)
    if seed:
        run_seed(url, seed, progress, timings)
    timings["total"] = time.perf_counter() - t0
    return timings


def run_seed(url: str, seed: str, progress: Progress, timings: dict[str, float]) -> None:
    """The seed's SQL on the reset database (``reset --seed``, ``reset --to TAG --seed``), timed."""
    from gtsd_tui.db import admin

    progress("seeding")
    t = time.perf_counter()
    admin.run_sql_file(url, seed)
    timings["seed"] = time.perf_counter() - t


def _quick_swap(
    url: str, name: str, wanted: str, step: Callable[[str], None], timings: dict[str, float]
) -> list[str] | None:
    """The prepared spare swapped in through the bundled libpq, before psycopg is imported (most of such
    a reset's time was that import); None when it is not the plain case, and ``_reset`` does it. No
    server answering is final: the error ``_reset``'s connect raises, without its second wait."""
    from gtsd_tui.db.libpq_lite import Unreached
    from gtsd_tui.db.quick_reset import swap_spare

    t0 = time.perf_counter()
    trash = swap_spare(url, name, wanted, step)
    if isinstance(trash, Unreached):  # final: ``_reset``'s connect would wait for the same host again
        from gtsd_tui.db.admin import admin_url
        from gtsd_tui.db.conn_words import describe_error

        raise DatabaseError(describe_error(admin_url(url), Exception(trash.text)))
    if trash is not None:
        timings["swap in prepared copy"] = time.perf_counter() - t0
    return trash


def _reset(
    project: Project,
    url: str,
    name: str,
    wanted: str,
    use_template: bool,
    progress: Progress,
    wait: float,
    timings: dict[str, float],
    step: Callable[[str], None],
) -> list[str]:
    """The ordinary reset (psycopg): the trash for the background job to drop."""
    from gtsd_tui.db import admin
    from gtsd_tui.db.connect import connect

    t0 = time.perf_counter()
    with connect(admin.admin_url(url)) as conn:
        if admin.can_create_databases(conn):
            return _reset_locked(conn, project, name, wanted, use_template, progress, wait, timings, step)
        conn.close()
        dropped = admin.reset_schemas(url)
        timings["drop schemas"] = time.perf_counter() - t0
        project.notify(f"no CREATEDB privilege: dropped schemas {', '.join(dropped) or '(none)'} instead")
        _migrate(project, timings, progress)
    return []


def _reset_locked(
    conn: Any,
    project: Project,
    name: str,
    wanted: str,
    use_template: bool,
    progress: Progress,
    wait: float,
    timings: dict[str, float],
    step: Callable[[str], None],
) -> list[str]:
    """The reset proper, under the reset lock; returns the trash for the background job to drop."""
    from gtsd_tui.db import admin, lock

    key = admin.reset_lock_key(name)

    def waiting(who: list[lock.Holder], remaining: float) -> None:
        held = "; ".join(h.describe() for h in who) or "another session"
        progress(f"waiting for the reset lock of {name} held by {held} ({remaining:.0f}s left)")

    lock.acquire(conn, key, timeout=wait, on_wait=waiting, what=f"reset lock of {name}")
    try:
        step("locked")
        t0 = time.perf_counter()
        fixed = admin.repair(conn, name, step)
        if fixed:
            project.notify(fixed)
        branch = admin.branch_comment(conn, name) if admin.exists(conn, name) else None
        template = admin.template_name(name)
        how = None
        if use_template and admin.spare_fingerprint(conn, admin.spare_name(name)) == wanted:
            how = "swap in prepared copy" if admin.take_spare(conn, name) else None
        if how is None and use_template and admin.template_fingerprint(conn, template) == wanted:
            how = "clone template" if admin.clone_to_next(conn, name, template) else None
        if how is not None:
            step(how)
            admin.swap_in_next(conn, name, step)
            timings[how] = time.perf_counter() - t0
        else:
            progress(f"recreating {name}")
            admin.recreate(conn, name)
            step("recreated")
            timings["recreate"] = time.perf_counter() - t0
            _migrate(project, timings, progress)
            if use_template:
                t1 = time.perf_counter()
                admin.save_template(conn, name, template, wanted)
                step("template saved")
                timings["save template"] = time.perf_counter() - t1
        if branch is not None:  # still that branch's database (a reset does not change whose it is)
            admin.set_comment(conn, name, branch)
        return admin.trash_of(conn, name)  # the target is there and the lock held: all of it is garbage
    finally:
        lock.release_quietly(conn, key)


def _migrate(project: Project, timings: dict[str, float], progress: Progress) -> None:
    from gtsd_tui.services.apply import ApplyEvent, ApplyRequest, Note, PoolerDetected, StepDone, apply

    def listen(event: ApplyEvent) -> None:
        if isinstance(event, StepDone):
            progress(f"applied {event.tag}")
        elif isinstance(event, Note | PoolerDetected):
            project.notify(event.message)

    t = time.perf_counter()
    result = apply(project, ApplyRequest(), listen)
    timings[f"migrate ({len(result.applied)})"] = time.perf_counter() - t


def spawn_spare(url: str, name: str, fingerprint: str, drop: list[str]) -> None:
    """Drop ``drop`` and prepare the next reset's copy of the template in a detached process (the URL
    goes through the environment, never the command line, where ``ps`` would show its password)."""
    import json
    import subprocess

    # the job works out the maintenance database's URL itself: here that needs psycopg's conninfo
    env = {**os.environ, "GTSD_SPARE_URL": url, "GTSD_SPARE_DB": name, "GTSD_SPARE_FP": fingerprint}
    env["GTSD_SPARE_DROP"] = json.dumps(drop)
    subprocess.Popen(
        [sys.executable, "-m", "gtsd_tui.services.spare"],
        env=env,
        start_new_session=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
