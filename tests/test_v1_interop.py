"""Drizzle v1 folders end to end against the real drizzle-kit / drizzle-orm 1.0.0-rc.5 from npm."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.helpers.node_v1 import generate_v1, v1_migrate, v1_rows

pytestmark = [pytest.mark.pg, pytest.mark.node]

USERS = 'export const users = pgTable("users", { id: serial("id").primaryKey(), name: text("name").notNull() });\n'
POSTS = 'export const posts = pgTable("posts", { id: serial("id").primaryKey(), title: text("title")'
HEAD = 'import { pgTable, serial, text, integer } from "drizzle-orm/pg-core";\n'


def write_schema(project: Path, *parts: str) -> None:
    (project / "schema.ts").write_text(HEAD + "".join(parts))


@pytest.fixture(scope="module")
def v1_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four migrations made as a user makes them: three generated, one --custom holding an INSERT."""
    project = tmp_path_factory.mktemp("v1proj")
    write_schema(project, USERS)
    generate_v1(project, "init")
    write_schema(project, USERS, POSTS + " });\n")
    generate_v1(project, "add_posts")
    seed = generate_v1(project, "seed_users", custom=True)
    (seed / "migration.sql").write_text("INSERT INTO \"users\" (\"name\") VALUES ('ada'), ('grace');\n")
    write_schema(project, USERS, POSTS + ', score: integer("score") });\n')
    generate_v1(project, "add_score")
    return project


@pytest.fixture
def project(v1_project: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "proj"
    shutil.copytree(v1_project, dest, symlinks=True)
    return dest


@pytest.fixture
def other_db(pg_server: str, pg_url: str) -> Iterator[str]:
    name = pg_url.rsplit("/", 1)[1] + "_b"  # dropped with pg_url's database (same prefix)
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield pg_url.rsplit("/", 1)[0] + "/" + name


def columns(url: str) -> list[tuple[str, str, str, str | None]]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT column_name, data_type, is_nullable, column_default FROM information_schema.columns "
            "WHERE table_schema = 'drizzle' AND table_name = '__drizzle_migrations' ORDER BY ordinal_position"
        ).fetchall()


def keyed(rows: list[dict]) -> list[tuple[str, str, str]]:
    return [(r["hash"], r["created_at"], r["name"]) for r in rows]


def test_migrate_writes_the_rows_drizzle_orm_1_writes(cli, project: Path, pg_url: str, other_db: str) -> None:
    folder = project / "drizzle"
    r = cli("migrate", "--migrations", str(folder), "--database-url", pg_url)
    assert r.returncode == 0, r.stderr
    d = v1_migrate(other_db, folder)
    assert d.returncode == 0, d.stderr
    ours, theirs = v1_rows(pg_url), v1_rows(other_db)
    assert columns(pg_url) == columns(other_db)
    assert keyed(ours) == keyed(theirs) and len(ours) == 4
    assert all(r["has_applied_at"] for r in ours)
    assert [r["name"] for r in ours] == sorted(p.name for p in folder.iterdir())

    again = cli("migrate", "--migrations", str(folder), "--database-url", pg_url)
    assert again.returncode == 0 and "nothing to apply" in again.stdout, again.stdout + again.stderr
    assert v1_rows(pg_url) == ours
    assert v1_migrate(pg_url, folder).returncode == 0
    assert v1_rows(pg_url) == ours  # the real migrator finds nothing to do on A
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM users").fetchone() == (2,)  # the custom INSERT ran once


def test_a_fifth_migration_applied_by_us_carries_its_name(cli, project: Path, pg_url: str) -> None:
    folder = project / "drizzle"
    assert v1_migrate(pg_url, folder).returncode == 0
    write_schema(project, USERS, POSTS + ', score: integer("score"), body: text("body") });\n')
    fifth = generate_v1(project, "add_body")
    r = cli("migrate", "--migrations", str(folder), "--database-url", pg_url)
    assert r.returncode == 0, r.stderr
    rows = v1_rows(pg_url)
    assert rows[-1]["name"] == fifth.name and len(rows) == 5
    d = v1_migrate(pg_url, folder)
    assert d.returncode == 0, d.stderr
    assert v1_rows(pg_url) == rows  # the real migrator agrees: nothing left
    s = cli("status", "--migrations", str(folder), "--database-url", pg_url, "--exit-code")
    assert s.returncode == 0, s.stdout
