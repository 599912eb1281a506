"""Reset a local database: drop, recreate, migrate, seed; clone a template when migrations are unchanged."""

from __future__ import annotations

import hashlib
import sys
import time
from collections.abc import Callable

from gtsd_tui.services.project import Project

Progress = Callable[[str], None]


def _quiet(message: str) -> None:
    """Reset steps heard by nobody (the CLI prints only the timings)."""


def target_name(url: str) -> str:
    """The database a reset drops and recreates."""
    from gtsd_tui.db.admin import dbname_of

    return dbname_of(url)


def fingerprint(project: Project) -> str:
    folder = project.load_folder()
    h = hashlib.sha256(f"{project.settings.schema}.{project.settings.table}".encode())
    for m in folder.journal_migrations:
        h.update(f"{m.tag}:{m.when}:{m.hash}\n".encode())
    return h.hexdigest()[:32]


def reset_database(
    project: Project, url: str, seed: str | None, *, use_template: bool = True, progress: Progress | None = None
) -> dict[str, float]:
    """Drop, recreate, migrate, seed; ``progress`` hears each step (the console shows them)."""
    progress = progress or _quiet
    from gtsd_tui.core.preflight import require_applicable
    from gtsd_tui.db import admin
    from gtsd_tui.db.connect import connect

    require_applicable(project.load_folder())  # a folder migrate would refuse is refused before the drop
    name = admin.dbname_of(url)
    template = (name + admin.TEMPLATE_SUFFIX)[:63]
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    wanted = fingerprint(project)
    with connect(admin.admin_url(url)) as conn:
        if not admin.can_create_databases(conn):
            conn.close()
            dropped = admin.reset_schemas(url)
            timings["drop schemas"] = time.perf_counter() - t0
            project.notify(f"no CREATEDB privilege: dropped schemas {', '.join(dropped) or '(none)'} instead")
            _migrate(project, timings, progress)
        elif use_template and admin.spare_fingerprint(conn, (name + admin.SPARE_SUFFIX)[:63]) == wanted:
            admin.swap_in_spare(conn, name, (name + admin.SPARE_SUFFIX)[:63])
            timings["swap in prepared copy"] = time.perf_counter() - t0
        elif use_template and admin.template_fingerprint(conn, template) == wanted:
            admin.recreate(conn, name, template=template)
            timings["clone template"] = time.perf_counter() - t0
        else:
            progress(f"recreating {name}")
            admin.recreate(conn, name)
            timings["recreate"] = time.perf_counter() - t0
            _migrate(project, timings, progress)
            if use_template:
                t1 = time.perf_counter()
                admin.save_template(conn, name, template, wanted)
                timings["save template"] = time.perf_counter() - t1
    if use_template:
        spawn_spare(url, name, wanted)
    if seed:
        progress("seeding")
        t2 = time.perf_counter()
        admin.run_sql_file(url, seed)
        timings["seed"] = time.perf_counter() - t2
    timings["total"] = time.perf_counter() - t0
    return timings


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


def spawn_spare(url: str, name: str, fingerprint: str) -> None:
    """Prepare the next reset's copy of the template in a detached process (the URL goes through the
    environment, never the command line, where ``ps`` would show its password)."""
    import os
    import subprocess

    from gtsd_tui.db.admin import admin_url

    env = {**os.environ, "GTSD_SPARE_ADMIN_URL": admin_url(url), "GTSD_SPARE_DB": name, "GTSD_SPARE_FP": fingerprint}
    subprocess.Popen(
        [sys.executable, "-m", "gtsd_tui.services.spare"],
        env=env,
        start_new_session=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
