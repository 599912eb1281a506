"""``gtsd-tui forget TAG``: delete a migration's row (development only), by hash and created_at."""

from __future__ import annotations

import argparse
from typing import Any

from gtsd_tui.commands.output import confirmed
from gtsd_tui.core.display import shown
from gtsd_tui.core.vocab import Layout
from gtsd_tui.errors import EXIT_OK, EXIT_PROBLEMS, InputError
from gtsd_tui.services.project import Project


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("forget", parents=[common], help="remove a migration's row so it runs again (local only)")
    p.add_argument("tag")
    p.add_argument("--yes", action="store_true", help="do not ask")
    p.add_argument("--allow-db", action="append", metavar="NAME", help="allow this non-local database name")
    p.add_argument("--force", action="store_true", help="allow a URL with sslmode=require")


def run(args: argparse.Namespace, project: Project) -> int:
    from gtsd_tui.services.local_guard import require_local

    if project.settings.database_url:
        require_local(
            project.settings.database_url,
            allow=args.allow_db,
            force=args.force,
            what="forget",
            source=project.url_source,
        )
    folder = project.load_folder()
    m = folder.by_tag(args.tag)
    if m is None or m.hash is None or m.when is None:
        raise InputError(f"{args.tag}: no such migration with a file in {folder.path}")
    from gtsd_tui.services.rows import count_rows, delete_rows

    name = m.tag if folder.layout == Layout.V1 else None  # drizzle-orm 1.0 decides by name
    n = count_rows(project, m.hash, m.when, name)
    if n == 0:
        key = f"name {name}" if name else f"hash {m.hash[:12]} and created_at {m.when}"
        print(f"{shown(args.tag)}: no row with {shown(key)}; nothing to forget")
        return EXIT_PROBLEMS
    ok = confirmed(args.yes, f"delete {n} row(s) of {args.tag} from {project.settings.table_label}?", "not forgotten")
    if not ok:
        return EXIT_PROBLEMS if ok is None else EXIT_OK
    delete_rows(project, m.hash, m.when, name)
    print(f"forgot {shown(args.tag)} ({n} row(s)); the next migrate runs it again")
    return EXIT_OK
