"""A database per branch on a Drizzle 1.0 folder (a folder per migration, no journal), made by the
real drizzle-kit 1.0 ``generate`` on two git branches: the installed ``post-checkout`` hook parks and
brings back each branch's database, and the real drizzle-orm 1.0 migrator then finds nothing to do."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import psycopg
import pytest

from tests.conftest import run_cli
from tests.helpers.git import ENV, git
from tests.helpers.node_v1 import generate_v1, v1_migrate, v1_rows

pytestmark = [pytest.mark.pg, pytest.mark.node]

HEAD = 'import { pgTable, serial, text, integer } from "drizzle-orm/pg-core";\n'
USERS = HEAD + 'export const users = pgTable("users", { id: serial("id").primaryKey(), email: text("email") });\n'
BILLING = (
    HEAD + 'export const billing = pgTable("billing", { id: serial("id").primaryKey(), amount: integer("amount") });\n'
)


def _commit(repo: Path, message: str) -> None:
    git(repo, "add", ".")
    git(repo, "commit", "-qm", message)


def _checkout(repo: Path, branch: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return subprocess.run(
        ["git", "checkout", "-q", branch], cwd=repo, env={**env, **ENV}, capture_output=True, text=True, timeout=300
    )


def _tables(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
    return {str(r[0]) for r in rows}


def test_a_v1_folder_follows_the_branch(tmp_path: Path, pg_url: str) -> None:
    repo = tmp_path / "repo"
    (repo / "schema").mkdir(parents=True)
    (repo / ".gitignore").write_text("node_modules\n.env\n.gtsd\n")
    (repo / "schema" / "users.ts").write_text(USERS)
    git(repo, "init", "-q", "-b", "main")
    generate_v1(repo, "init", schema="./schema")
    _commit(repo, "users")
    (repo / ".env").write_text(f"DATABASE_URL={pg_url}\n")
    r = run_cli("git", "install", "--branch-db", "--migrations", str(repo / "drizzle"), cwd=repo)
    assert r.returncode == 0, r.stdout + r.stderr
    assert run_cli("migrate", "--migrations", str(repo / "drizzle"), cwd=repo).returncode == 0
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("INSERT INTO users (email) VALUES ('main@example.com')")
    git(repo, "checkout", "-qb", "feature")
    (repo / "schema" / "billing.ts").write_text(BILLING)
    generate_v1(repo, "billing", schema="./schema")
    _commit(repo, "billing")
    m = run_cli("migrate", "--migrations", str(repo / "drizzle"), cwd=repo)
    assert m.returncode == 0, m.stdout + m.stderr
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("INSERT INTO billing (amount) VALUES (42)")
    back = _checkout(repo, "main")
    assert back.returncode == 0, back.stdout + back.stderr
    assert _tables(pg_url) == {"users"}
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT email FROM users").fetchall() == [("main@example.com",)]
    rows = v1_rows(pg_url)
    assert len(rows) == 1
    real = v1_migrate(pg_url, repo / "drizzle")  # the real drizzle-orm 1.0 migrator: nothing left to do
    assert real.returncode == 0, real.stdout + real.stderr
    assert v1_rows(pg_url) == rows
    there = _checkout(repo, "feature")
    assert there.returncode == 0, there.stdout + there.stderr
    assert _tables(pg_url) == {"users", "billing"}
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT amount FROM billing").fetchall() == [(42,)]
    rows = v1_rows(pg_url)
    assert len(rows) == 2
    real = v1_migrate(pg_url, repo / "drizzle")
    assert real.returncode == 0, real.stdout + real.stderr
    assert v1_rows(pg_url) == rows
