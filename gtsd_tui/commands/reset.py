"""``gtsd-tui reset``: drop and recreate a local database, apply every migration, seed; later resets
with unchanged migrations clone a template database instead (sub-second)."""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path
from typing import Any

from gtsd_tui.errors import EXIT_OK, EXIT_PROBLEMS, InputError
from gtsd_tui.services.project import Project


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("reset", parents=[common], help="drop, recreate and migrate a local database")
    p.add_argument("--seed", metavar="FILE", help="SQL to run after the migrations")
    p.add_argument("--yes", action="store_true", help="do not ask")
    p.add_argument("--allow-db", action="append", metavar="NAME", help="allow this non-local database name")
    p.add_argument("--force", action="store_true", help="allow a URL with sslmode=require")
    p.add_argument("--backup", action="store_true", help="back up first (pg_dump) without asking")
    p.add_argument("--no-template", action="store_true", help="always migrate from scratch")


def fingerprint(project: Project) -> str:
    folder = project.load_folder()
    h = hashlib.sha256(f"{project.settings.schema}.{project.settings.table}".encode())
    for m in folder.journal_migrations:
        h.update(f"{m.tag}:{m.when}:{m.hash}\n".encode())
    return h.hexdigest()[:32]


def run(args: argparse.Namespace, project: Project) -> int:
    from gtsd_tui.services.local_guard import require_local

    if project.settings.database_url:  # decided from the URL alone, before any connection
        require_local(project.settings.database_url, allow=args.allow_db, force=args.force)
    seed = None
    if args.seed:
        try:
            seed = Path(args.seed).read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"{args.seed}: cannot read: {exc}") from None
    url = project.resolve_url()
    from gtsd_tui.db.admin import dbname_of

    name = dbname_of(url)
    if not args.yes:
        if not sys.stdin.isatty():
            print("gtsd-tui: not reset: pass --yes (no terminal to ask)", file=sys.stderr)
            return EXIT_PROBLEMS
        if input(f"drop and recreate database {name!r} at {project.masked_url}? [y/N] ").strip().lower() != "y":
            return EXIT_OK
        if not args.backup and input("back it up first? [y/N] ").strip().lower() == "y":
            args.backup = True
    if args.backup:
        from gtsd_tui.commands.backup import dump

        print(f"backup: {dump(url, None)}")
    timings = reset_database(project, url, seed, use_template=not args.no_template)
    print("  ".join(f"{k} {v * 1000:.0f} ms" for k, v in timings.items()))
    return EXIT_OK


def reset_database(project: Project, url: str, seed: str | None, *, use_template: bool = True) -> dict[str, float]:
    from gtsd_tui.db import admin
    from gtsd_tui.db.connect import connect

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
            print(f"no CREATEDB privilege: dropped schemas {', '.join(dropped) or '(none)'} instead")
            _migrate(project, timings)
        elif use_template and admin.template_fingerprint(conn, template) == wanted:
            admin.recreate(conn, name, template=template)
            timings["clone template"] = time.perf_counter() - t0
        else:
            admin.recreate(conn, name)
            timings["recreate"] = time.perf_counter() - t0
            _migrate(project, timings)
            if use_template:
                t1 = time.perf_counter()
                admin.save_template(conn, name, template, wanted)
                timings["save template"] = time.perf_counter() - t1
    if seed:
        t2 = time.perf_counter()
        admin.run_sql_file(url, seed)
        timings["seed"] = time.perf_counter() - t2
    timings["total"] = time.perf_counter() - t0
    return timings


def _migrate(project: Project, timings: dict[str, float]) -> None:
    from gtsd_tui.core.plan import build_plan
    from gtsd_tui.core.status import compute_status
    from gtsd_tui.db.runner import RunOptions
    from gtsd_tui.db.runner import run as apply_plan

    class Quiet:
        def lock_wait(self, *a: Any) -> None: ...
        def plan_ready(self, *a: Any) -> None: ...
        def step_started(self, *a: Any) -> None: ...
        def step_done(self, *a: Any) -> None: ...
        def note(self, message: str) -> None:
            print(message, file=sys.stderr)

    folder = project.load_folder()
    t = time.perf_counter()
    s = project.settings
    result = apply_plan(
        project.resolve_url(),
        folder,
        lambda rows: build_plan(folder, compute_status(folder, rows)),
        RunOptions(s.schema, s.table),
        Quiet(),
    )
    timings[f"migrate ({len(result.applied)})"] = time.perf_counter() - t
