"""A drizzle project made the way users make one: a TypeScript schema under ``schema/``, a
``drizzle.config.ts``, the real ``drizzle-kit generate`` / ``check`` / ``push``, branches merged with
the real ``git merge``; and a catalog dump to compare two databases."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import psycopg
from psycopg import sql

from tests.helpers.git import git
from tests.helpers.kit_cache import kit_run
from tests.helpers.node import ensure_node_packages

CONFIG = """import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "postgresql",
  schema: "./schema",
  out: "./drizzle",
  dbCredentials: { url: process.env.DATABASE_URL ?? "postgresql://nobody@127.0.0.1:1/none" },
});
"""


class KitProject:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.node = ensure_node_packages()
        (root / "schema").mkdir(parents=True)
        (root / "drizzle.config.ts").write_text(CONFIG)
        (root / "node_modules").symlink_to(self.node / "node_modules")
        (root / ".gitignore").write_text("node_modules\n")
        git(root, "init", "-q")

    @property
    def folder(self) -> Path:
        return self.root / "drizzle"

    def schema(self, files: dict[str, str]) -> None:
        """Write the TypeScript schema files (a file mapped to "" is removed)."""
        for name, text in files.items():
            path = self.root / "schema" / name
            if text:
                path.write_text(text)
            elif path.exists():
                path.unlink()

    def kit(self, *args: str, url: str | None = None) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        if url:
            env["DATABASE_URL"] = url
        cmd = [str(self.node / "node_modules" / ".bin" / "drizzle-kit"), *args]
        return kit_run(
            cmd,
            self.root,
            lambda: subprocess.run(cmd, cwd=self.root, env=env, capture_output=True, text=True, timeout=180),
        )

    def generate(self, name: str) -> subprocess.CompletedProcess[str]:
        r = self.kit("generate", "--name", name)
        assert r.returncode == 0, r.stdout + r.stderr
        return r

    def commit(self, message: str) -> None:
        git(self.root, "add", "-A")
        git(self.root, "commit", "-qm", message)

    def branch(self, name: str, start: str = "main") -> None:
        git(self.root, "checkout", "-q", start)
        git(self.root, "checkout", "-qb", name)

    def step(self, files: dict[str, str], name: str) -> None:
        """Change the schema, run ``drizzle-kit generate --name``, commit."""
        self.schema(files)
        self.generate(name)
        self.commit(name)

    def merge(self, ours: str, theirs: str, resolved: dict[str, str]) -> subprocess.CompletedProcess[str]:
        """``git merge`` theirs into ours, then the TypeScript schema resolved to ``resolved``."""
        git(self.root, "checkout", "-q", ours)
        merged = git(self.root, "merge", "-q", theirs, "--no-edit", check=False)
        self.schema(resolved)
        git(self.root, "add", "schema")
        return merged

    def files(self) -> set[str]:
        return {str(p.relative_to(self.folder)) for p in self.folder.rglob("*") if p.is_file()}


def base_project(tmp: Path, schema: dict[str, str]) -> KitProject:
    p = KitProject(tmp / "app")
    git(p.root, "checkout", "-qb", "main")
    p.step(schema, "init")
    return p


def push_database(project: KitProject, url: str) -> str:
    """``drizzle-kit push --force`` of the project's schema into a new database next to ``url``; its URL."""
    info = psycopg.conninfo.conninfo_to_dict(url)
    name = f"{info['dbname']}_push"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    push_url = url.rsplit("/", 1)[0] + "/" + name
    r = project.kit("push", "--force", url=push_url)
    assert r.returncode == 0, r.stdout + r.stderr
    return push_url


CATALOG = {
    "columns": """SELECT table_schema, table_name, column_name, data_type, udt_name, is_nullable,
                         column_default, character_maximum_length
                  FROM information_schema.columns WHERE table_schema NOT IN ('pg_catalog',
                  'information_schema', 'drizzle') ORDER BY 1, 2, 3""",
    "constraints": """SELECT n.nspname, t.relname, c.conname, c.contype, pg_get_constraintdef(c.oid)
                      FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
                      JOIN pg_namespace n ON n.oid = t.relnamespace
                      WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'drizzle') ORDER BY 1, 2, 3""",
    "indexes": """SELECT schemaname, tablename, indexname, indexdef FROM pg_indexes
                  WHERE schemaname NOT IN ('pg_catalog', 'information_schema', 'drizzle') ORDER BY 1, 2, 3""",
    "enums": """SELECT n.nspname, t.typname, array_agg(e.enumlabel ORDER BY e.enumsortorder)
                FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid JOIN pg_namespace n ON n.oid = t.typnamespace
                GROUP BY 1, 2 ORDER BY 1, 2""",
    "sequences": """SELECT schemaname, sequencename, data_type, increment_by FROM pg_sequences
                    WHERE schemaname <> 'drizzle' ORDER BY 1, 2""",
}


def catalog(url: str) -> dict[str, list[tuple[object, ...]]]:
    """The schema of a database as catalog rows (the drizzle tracking schema left out)."""
    with psycopg.connect(url) as conn:
        return {key: [tuple(r) for r in conn.execute(q).fetchall()] for key, q in CATALOG.items()}
