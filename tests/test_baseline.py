"""``gtsd-tui baseline``: a database built by running the SQL with psql is adopted with exactly the rows
the real migrator writes (v0: drizzle-orm 0.45; v1: drizzle-orm 1.0.0-rc.5), and the real migrator then
applies nothing; a database holding only part of the schema is refused and nothing is written."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from tests.conftest import run_cli
from tests.helpers.kit_project import KitProject, catalog
from tests.helpers.node import drizzle_migrate, drizzle_rows
from tests.helpers.node_v1 import generate_v1, v1_migrate, v1_rows

SCHEMA = (Path(__file__).parent / "drift_schemas" / "app.ts").read_text()
MORE = 'export const extra = pgTable("extra", { id: serial("id").primaryKey(), note: text("note") });\n'

pytestmark = [pytest.mark.pg, pytest.mark.node]


def psql_file(url: str, path: Path) -> None:
    """What a user does by hand: the migration's SQL through psql (its breakpoints are comments)."""
    psql = shutil.which("psql")
    if psql is None:
        pytest.skip("psql is not installed")
    subprocess.run(
        [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-f", str(path)], check=True, capture_output=True
    )


def new_db(url: str, suffix: str) -> str:
    info = psycopg.conninfo.conninfo_to_dict(url)
    name = f"{info['dbname']}_{suffix}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return url.rsplit("/", 1)[0] + "/" + name


def baseline(folder: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("baseline", "--database-url", url, "--migrations", str(folder), *args)


def test_v0_baseline_writes_the_migrators_rows_and_refuses_a_partial_schema(tmp_path: Path, pg_url: str) -> None:
    p = KitProject(tmp_path / "app")
    p.schema({"app.ts": SCHEMA})
    p.generate("init")
    p.schema({"app.ts": SCHEMA + MORE})
    p.generate("extra")
    tags = ["0000_init", "0001_extra"]

    fresh = new_db(pg_url, "fresh")  # the real migrator on a fresh database: the rows to match
    assert drizzle_migrate(fresh, p.folder).returncode == 0
    want = drizzle_rows(fresh)

    # only the first migration's SQL run by hand: refused, the missing table named, nothing written
    psql_file(pg_url, p.folder / f"{tags[0]}.sql")
    before = catalog(pg_url)
    r = baseline(p.folder, pg_url, "--to", tags[1], "--yes")
    assert r.returncode == 1, r.stderr
    assert "table public.extra" in r.stdout
    assert catalog(pg_url) == before
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT to_regclass('drizzle.__drizzle_migrations')").fetchone() == (None,)

    # a dry run at the matching tag writes nothing either
    r = baseline(p.folder, pg_url, "--to", tags[0], "--dry-run")
    assert r.returncode == 0, r.stderr
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT to_regclass('drizzle.__drizzle_migrations')").fetchone() == (None,)

    psql_file(pg_url, p.folder / f"{tags[1]}.sql")
    r = baseline(p.folder, pg_url, "--to", tags[1], "--yes")
    assert r.returncode == 0, r.stdout + r.stderr
    assert drizzle_rows(pg_url) == want
    assert catalog(pg_url) == catalog(fresh)
    r = drizzle_migrate(pg_url, p.folder)  # the real migrator: nothing left to apply
    assert r.returncode == 0, r.stderr
    assert drizzle_rows(pg_url) == want
    # and a second baseline refuses: the table already has rows
    assert baseline(p.folder, pg_url, "--to", tags[1], "--yes").returncode == 1


def test_v1_baseline_writes_drizzle_orm_1_rows(tmp_path: Path, pg_url: str) -> None:
    project = tmp_path / "v1"
    project.mkdir()
    (project / "schema.ts").write_text(SCHEMA)
    first = generate_v1(project, "init")
    time.sleep(1.1)  # folder names are by the second
    (project / "schema.ts").write_text(SCHEMA + MORE)
    second = generate_v1(project, "extra")
    folder = project / "drizzle"

    fresh = new_db(pg_url, "fresh")
    assert v1_migrate(fresh, folder).returncode == 0
    want = v1_rows(fresh)

    psql_file(pg_url, first / "migration.sql")
    r = baseline(folder, pg_url, "--to", second.name, "--yes")
    assert r.returncode == 1 and "table public.extra" in r.stdout, r.stdout + r.stderr

    psql_file(pg_url, second / "migration.sql")
    r = baseline(folder, pg_url, "--to", second.name, "--yes")
    assert r.returncode == 0, r.stdout + r.stderr
    got = v1_rows(pg_url)
    assert got == want  # id, hash, created_at, name, applied_at set
    assert v1_migrate(pg_url, folder).returncode == 0
    assert v1_rows(pg_url) == want
