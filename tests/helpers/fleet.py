"""A five-migration project made with the real ``drizzle-kit generate`` (once per test run), and
databases made in bulk on the test server."""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from pathlib import Path

import psycopg
from psycopg import sql

from tests.helpers.git import git
from tests.helpers.kit_project import KitProject

HEAD = 'import { pgTable, serial, text, integer, index } from "drizzle-orm/pg-core";\n'
USERS = 'export const users = pgTable("users", {\n  id: serial("id").primaryKey(),\n  email: text("email").notNull(),\n'
PROJECTS = (
    'export const projects = pgTable("projects", {\n  id: serial("id").primaryKey(),\n'
    '  name: text("name").notNull(),\n  ownerId: integer("owner_id").references(() => users.id),\n});\n'
)
TASKS = (
    'export const tasks = pgTable("tasks", {\n  id: serial("id").primaryKey(),\n  projectId: integer("project_id"),\n'
)
STEPS = [
    ("init_users", HEAD + USERS + "});\n"),
    ("projects", HEAD + USERS + "});\n" + PROJECTS),
    ("user_names", HEAD + USERS + '  name: text("name"),\n});\n' + PROJECTS),
    ("tasks", HEAD + USERS + '  name: text("name"),\n});\n' + PROJECTS + TASKS + "});\n"),
    (
        "task_index",
        HEAD
        + USERS
        + '  name: text("name"),\n});\n'
        + PROJECTS
        + TASKS
        + '}, (t) => [index("tasks_project_idx").on(t.projectId)]);\n',
    ),
]


@functools.cache
def five_migrations() -> Path:
    """The ``drizzle`` folder of a project whose schema grew in five ``drizzle-kit generate`` steps
    (0000_init_users ... 0004_task_index); 0001 creates ``projects``. Read it, never write it."""
    top = Path(tempfile.mkdtemp(prefix="gtsd-fleet-kit-"))
    atexit.register(shutil.rmtree, top, True)
    project = KitProject(top / "app")
    git(project.root, "checkout", "-qb", "main")
    for name, text in STEPS:
        project.step({"schema.ts": text}, name)
    return project.folder


def tags(folder: Path) -> list[str]:
    import json

    return [e["tag"] for e in json.loads((folder / "meta" / "_journal.json").read_text())["entries"]]


def create_databases(admin_url: str, names: list[str]) -> list[str]:
    """Fresh databases on the server of ``admin_url`` (dropped first if left over); their URLs."""
    base = admin_url.rsplit("/", 1)[0]
    with psycopg.connect(admin_url, autocommit=True) as conn:
        for n in names:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(n)))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(n)))
    return [f"{base}/{n}" for n in names]


def drop_databases(admin_url: str, names: list[str]) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        for n in names:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(n)))


def tracking_rows(url: str) -> list[tuple[object, ...]]:
    """(id, hash, created_at, xmin) of every row: xmin changes if a row is rewritten."""
    with psycopg.connect(url) as conn:
        return [
            tuple(r)
            for r in conn.execute(
                "SELECT id, hash, created_at, xmin::text FROM drizzle.__drizzle_migrations ORDER BY id"
            ).fetchall()
        ]
