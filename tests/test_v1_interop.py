"""Drizzle v1 folders end to end against the real drizzle-kit / drizzle-orm 1.0.0-rc.5 from npm."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.conftest import run_cli
from tests.helpers.node import drizzle_migrate, drizzle_rows
from tests.helpers.node_v1 import check_v1, generate_v0, generate_v1, kit_v1, up_v1, v1_migrate, v1_rows

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


def migration_dirs(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))  # .gtsd-renumber: backups


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


@pytest.fixture(scope="module")
def upped_project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A v0 project (drizzle-kit 0.31), its journal folder kept, then `drizzle-kit up` (rc.5)."""
    project = tmp_path_factory.mktemp("v0proj")
    write_schema(project, USERS)
    generate_v0(project, "init")
    write_schema(project, USERS, POSTS + " });\n")
    generate_v0(project, "add_posts")
    write_schema(project, USERS, POSTS + ', score: integer("score") });\n')
    generate_v0(project, "add_score")
    v0 = tmp_path_factory.mktemp("v0copy") / "drizzle"
    shutil.copytree(project / "drizzle", v0)
    r = up_v1(project)
    assert r.returncode == 0, r.stdout + r.stderr
    assert not (project / "drizzle" / "meta").exists()
    return v0, project / "drizzle"


def test_after_drizzle_kit_up_status_is_applied_and_migrate_adds_nothing(
    cli, upped_project: tuple[Path, Path], pg_url: str
) -> None:
    v0, v1 = upped_project
    d = drizzle_migrate(pg_url, v0)  # drizzle-orm 0.45.4 applied the journal folder
    assert d.returncode == 0, d.stderr
    before = drizzle_rows(pg_url)
    s = cli("status", "--migrations", str(v1), "--database-url", pg_url, "--json")
    report = json.loads(s.stdout)
    assert [m["state"] for m in report["migrations"]] == ["applied"] * 3, s.stdout
    assert any("upgrade" in w for w in report["warnings"])
    dry = cli("migrate", "--dry-run", "--migrations", str(v1), "--database-url", pg_url)
    assert dry.returncode == 0, dry.stderr
    assert "-- first: upgrade" in dry.stdout and 'ADD COLUMN IF NOT EXISTS "name" text' in dry.stdout
    assert dry.stdout.count('SET "name" = ') == 3
    assert columns(pg_url) == [c for c in columns(pg_url) if c[0] in ("id", "hash", "created_at")]  # untouched

    r = cli("migrate", "--migrations", str(v1), "--database-url", pg_url)
    assert r.returncode == 0, r.stderr
    assert "nothing to apply" in r.stdout and "upgraded" in r.stderr
    rows = v1_rows(pg_url)
    assert [(x["hash"], x["created_at"]) for x in rows] == [(x["hash"], x["created_at"]) for x in before]
    assert [x["name"] for x in rows] == sorted(p.name for p in v1.iterdir())
    assert not any(x["has_applied_at"] for x in rows)  # as drizzle's upgrade leaves them
    d1 = v1_migrate(pg_url, v1)
    assert d1.returncode == 0, d1.stderr
    assert v1_rows(pg_url) == rows


def test_real_v1_migrator_upgrades_the_same_way(upped_project: tuple[Path, Path], pg_url: str, other_db: str) -> None:
    """Our upgrade leaves the table exactly as drizzle-orm 1.0's own upgrade does."""
    v0, v1 = upped_project
    assert drizzle_migrate(pg_url, v0).returncode == 0
    assert drizzle_migrate(other_db, v0).returncode == 0
    assert run_cli("migrate", "--migrations", str(v1), "--database-url", pg_url).returncode == 0
    assert v1_migrate(other_db, v1).returncode == 0
    assert columns(pg_url) == columns(other_db)
    assert v1_rows(pg_url) == v1_rows(other_db)


def test_upgrade_refused_when_a_row_matches_no_folder(
    cli, upped_project: tuple[Path, Path], pg_url: str, tmp_path: Path
) -> None:
    v0, v1 = upped_project
    assert drizzle_migrate(pg_url, v0).returncode == 0
    partial = tmp_path / "drizzle"
    shutil.copytree(v1, partial)
    shutil.rmtree(sorted(partial.iterdir())[1])  # the add_posts folder is gone
    r = cli("migrate", "--migrations", str(partial), "--database-url", pg_url)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "ids: 2" in r.stderr
    assert [c[0] for c in columns(pg_url)] == ["id", "hash", "created_at"]  # nothing changed
    d1 = v1_migrate(pg_url, partial)
    assert d1.returncode == 1 and "ids: 2" in d1.stderr  # drizzle-orm 1.0 refuses the same rows


def test_new_on_a_v1_folder_is_what_generate_custom_writes(cli, project: Path, pg_url: str) -> None:
    folder = project / "drizzle"
    before = migration_dirs(folder)
    r = cli("new", "add_flags", "--migrations", str(folder), "--json")
    assert r.returncode == 0, r.stderr
    made = json.loads(r.stdout)
    new_dir = folder / made["tag"]
    assert migration_dirs(folder) == sorted([*before, made["tag"]])
    assert sorted(p.name for p in new_dir.iterdir()) == ["migration.sql", "snapshot.json"]
    snap = json.loads((new_dir / "snapshot.json").read_text())
    prev = json.loads((folder / before[-1] / "snapshot.json").read_text())
    assert snap["prevIds"] == [prev["id"]] and snap["footprints"] == [] and snap["deltas"] == []
    with (new_dir / "migration.sql").open("a") as fh:
        fh.write('ALTER TABLE "users" ADD COLUMN IF NOT EXISTS "flag" boolean;\n')
    kit = check_v1(project)
    assert kit.returncode == 0, kit.stdout + kit.stderr
    gen = kit_v1(project, "generate", "--dialect", "postgresql", "--schema", "./schema.ts", "--out", "./drizzle")
    assert gen.returncode == 0 and "No schema changes" in gen.stdout, gen.stdout + gen.stderr
    d = v1_migrate(pg_url, folder)
    assert d.returncode == 0, d.stderr
    assert v1_rows(pg_url)[-1]["name"] == made["tag"]
    with psycopg.connect(pg_url) as conn:
        assert conn.execute(
            "SELECT to_regclass('users'), count(*) FROM information_schema.columns "
            "WHERE table_name = 'users' AND column_name = 'flag'"
        ).fetchone() == ("users", 1)

    rv = cli("revert", made["tag"], "--migrations", str(folder), "--json")
    assert rv.returncode == 0, rv.stderr
    assert check_v1(project).returncode == 0
    assert v1_migrate(pg_url, folder).returncode == 0
    assert v1_rows(pg_url)[-1]["name"] == json.loads(rv.stdout)["tag"]
    with psycopg.connect(pg_url) as conn:
        assert conn.execute(
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'flag'"
        ).fetchone() == (0,)


def test_upgrade_through_a_transaction_pooler_takes_the_lock_in_its_transaction(
    cli, upped_project: tuple[Path, Path], pg_url: str
) -> None:
    v0, v1 = upped_project
    assert drizzle_migrate(pg_url, v0).returncode == 0
    r = cli("migrate", "--pgbouncer", "yes", "--migrations", str(v1), "--database-url", pg_url)
    assert r.returncode == 0 and "upgraded" in r.stderr, r.stderr
    assert [x["name"] for x in v1_rows(pg_url)] == sorted(p.name for p in v1.iterdir())
    assert v1_migrate(pg_url, v1).returncode == 0 and len(v1_rows(pg_url)) == 3


def test_forget_of_an_edited_v1_migration_deletes_its_row_by_name(cli, project: Path, pg_url: str) -> None:
    """drizzle-orm 1.0 decides by name: after an applied v1 file was edited (new hash), forget must still
    delete its row, and the real migrator then runs it again."""
    folder = project / "drizzle"
    assert v1_migrate(pg_url, folder).returncode == 0
    seed = next(p for p in folder.iterdir() if p.name.endswith("_seed_users"))
    (seed / "migration.sql").write_text("-- reviewed\n" + (seed / "migration.sql").read_text())
    before = v1_rows(pg_url)
    r = cli("forget", seed.name, "--yes", "--migrations", str(folder), "--database-url", pg_url)
    assert r.returncode == 0 and "forgot" in r.stdout, r.stdout + r.stderr
    after = v1_rows(pg_url)
    assert [x["name"] for x in after] == [x["name"] for x in before if x["name"] != seed.name]
    d = v1_migrate(pg_url, folder)
    assert d.returncode == 0, d.stderr
    assert seed.name in [x["name"] for x in v1_rows(pg_url)]
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM users").fetchone() == (4,)  # the seed ran a second time
    again = cli("forget", "nonexistent_tag", "--yes", "--migrations", str(folder), "--database-url", pg_url)
    assert again.returncode == 2 and "nonexistent_tag" in again.stderr
