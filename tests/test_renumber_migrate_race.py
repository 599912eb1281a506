"""renumber --yes while a migrate of the same folder runs: whichever goes first, the folder and the rows
end as drizzle-orm expects (its real migrator then finds nothing to run), and `check` finds no error."""

from __future__ import annotations

import json
import shutil
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from gtsd_tui.core.migrations.folder import load_folder
from tests.conftest import SAMPLE, _url_with_db, run_cli, spawn_cli
from tests.helpers.git import add_migration
from tests.helpers.node import drizzle_migrate

pytestmark = [pytest.mark.pg, pytest.mark.node]


def _cli(*args: str) -> Any:
    return spawn_cli(*args)


def _round(n: int, base: Path, pg_server: str) -> None:
    name = f"race_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = _url_with_db(pg_server, name)
    try:
        folder = base / f"round{n}" / "migrations"
        shutil.copytree(SAMPLE, folder)
        common = ("--migrations", str(folder), "--database-url", url)
        first = _cli("migrate", *common)
        assert first.wait(120) == 0, first.communicate()[1]
        last = load_folder(folder).migrations[-1].when or 0
        add_migration(folder, "feat_a", "SELECT pg_sleep(0.5);\nCREATE TABLE feat_a (id int);\n", last + 2000)
        add_migration(folder, "feat_b", "CREATE TABLE feat_b (id int);\n", last + 1000)  # merged, older stamp
        migrate = _cli("migrate", *common)
        time.sleep((n % 5) * 0.15)  # from before migrate takes its lock to the middle of its run
        renumber = _cli("renumber", "--yes", "--wait", "30", *common)
        r_out, r_err = renumber.communicate(timeout=120)
        m_out, m_err = migrate.communicate(timeout=120)
        assert migrate.returncode == 0, m_err
        # 0: renumbered before the migrate wrote its rows; 1: planned after them (both applied, out of order:
        # refused); 2: refused at its commit, the database changed since its plan. Never a partial state.
        assert renumber.returncode in (0, 1, 2), r_err
        if renumber.returncode == 2:  # as its message says: plan again, now from the rows the migrate wrote
            assert "a migrate ran" in r_err, r_err
            again = _cli("renumber", "--yes", *common)  # 1: both applied, out of order: refused, nothing written
            assert again.wait(120) in (0, 1), again.communicate()[1]
        d = drizzle_migrate(url, folder)  # the real migrator: nothing left to run, nothing run twice
        assert d.returncode == 0, (n, renumber.returncode, r_out, r_err, d.stderr)
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT count(*) FROM drizzle.__drizzle_migrations").fetchone() == (6,)
        check = run_cli("check", "--json", *common)
        findings = json.loads(check.stdout)["findings"]
        assert [f for f in findings if f["code"] == "re-stamped" and f["severity"] == "error"] == [], findings
    finally:
        with psycopg.connect(pg_server, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.mark.slow
def test_renumber_during_migrate_leaves_nothing_for_drizzle_to_rerun(pg_server: str, tmp_path: Path) -> None:
    for n in range(10):
        _round(n, tmp_path, pg_server)
