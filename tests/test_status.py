"""Status against a real PostgreSQL: each of the six states, unknown and re-stamped rows."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from gtsd_tui.config import load_settings
from gtsd_tui.core.migrations.folder import load_folder
from gtsd_tui.core.migrations.status import MigrationState
from gtsd_tui.db.history import ensure_table, insert_row_sql
from gtsd_tui.services.project import Project

pytestmark = pytest.mark.pg


def insert(
    url: str, rows: list[tuple[str, int | None]], schema: str = "drizzle", table: str = "__drizzle_migrations"
) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        ensure_table(conn, schema, table)
        for h, when in rows:
            conn.execute(insert_row_sql(schema, table), (h, when))


def project(folder: Path, url: str) -> Project:
    return Project(load_settings(cwd=folder.parent, database_url=url, migrations=str(folder), environ={}))


def states(folder: Path, url: str) -> dict[str, str]:
    report = project(folder, url).status()
    return {s.migration.tag: s.state for s in report.items}


def test_nothing_applied_is_all_pending(sample: Path, pg_url: str) -> None:
    assert set(states(sample, pg_url).values()) == {"pending"}


def test_each_state(sample: Path, pg_url: str) -> None:
    f = load_folder(sample)
    m0, m1, m2, m3 = f.migrations
    (sample / "0004_hand_written.sql").write_text("SELECT 1;")  # not-in-journal
    journal = json.loads((sample / "meta/_journal.json").read_text())
    journal["entries"].append(
        {"idx": 4, "version": "7", "when": m3.when + 10, "tag": "0004_lost", "breakpoints": True}
    )  # missing-file
    journal["entries"].append(
        {"idx": 5, "version": "7", "when": m3.when + 20, "tag": "0005_new", "breakpoints": True}
    )  # pending
    (sample / "0005_new.sql").write_text("SELECT 5;")
    (sample / "meta/_journal.json").write_text(json.dumps(journal, indent=2))
    insert(
        pg_url,
        [
            (m0.hash, m0.when),  # applied
            ("0" * 64, m1.when),  # modified: the file changed after it was applied
            (m3.hash, m3.when),  # applied, and raises the mark above m2: m2 is out-of-order
            ("f" * 64, 42),  # unknown row
        ],
    )
    got = states(sample, pg_url)
    assert got == {
        m0.tag: "applied",
        m1.tag: "modified",
        m2.tag: "out-of-order",
        m3.tag: "applied",
        "0004_lost": "missing-file",
        "0005_new": "pending",
        "0004_hand_written": "not-in-journal",
    }
    report = project(sample, pg_url).status()
    assert [(r.hash, r.created_at) for r in report.unknown_rows] == [("f" * 64, 42)]


def test_restamped_migration_is_applied_with_a_warning(sample: Path, pg_url: str) -> None:
    f = load_folder(sample)
    insert(pg_url, [(m.hash, m.when - 5000 if i == 3 else m.when) for i, m in enumerate(f.migrations)])
    report = project(sample, pg_url).status()
    last = report.items[3]
    assert last.state is MigrationState.APPLIED and last.restamped and last.label == "re-stamped"
    assert any("re-stamped" in w for w in report.warnings)
    assert report.unknown_rows == []


def test_custom_tracking_table(sample: Path, pg_url: str) -> None:
    f = load_folder(sample)
    insert(pg_url, [(f.migrations[0].hash, f.migrations[0].when)], schema="My Schema", table="Weird Name")
    p = Project(
        load_settings(
            cwd=sample.parent,
            database_url=pg_url,
            migrations=str(sample),
            schema="My Schema",
            table="Weird Name",
            environ={},
        )
    )
    assert [s.state for s in p.status().items] == ["applied", "pending", "pending", "pending"]


def test_null_created_at_makes_everything_pending_like_drizzle(sample: Path, pg_url: str) -> None:
    insert(pg_url, [("manual", None)])
    report = project(sample, pg_url).status()
    assert {s.state for s in report.items} == {"pending"}
    assert any("NULL" in w for w in report.warnings)


@pytest.mark.node
def test_a_restamp_drizzle_orm_will_rerun_is_an_error_in_check(cli, sample: Path, pg_url: str) -> None:
    """Issue 33 (3): the journal's `when` moved above the newest created_at: drizzle-orm runs the file
    again (a fifth row; a file that is not idempotent fails on its existing objects), so `check` says
    error, not warning."""
    from tests.helpers.node import drizzle_migrate

    f = load_folder(sample)
    insert(pg_url, [(m.hash, m.when - 5000 if i == 3 else m.when) for i, m in enumerate(f.migrations)])
    r = cli("check", "--json", "--migrations", str(sample), "--database-url", pg_url)
    found = [x for x in json.loads(r.stdout)["findings"] if x["code"] == "re-stamped"]
    assert r.returncode == 1 and [x["severity"] for x in found] == ["error"], r.stdout
    assert "drizzle-orm will run it again" in found[0]["message"]
    with psycopg.connect(pg_url, autocommit=True) as conn:  # the schema the rows claim, for the real migrator
        for m in f.migrations:
            conn.execute((sample / m.file).read_text().replace("--> statement-breakpoint", ""))
    drizzle_migrate(pg_url, sample)  # what the error foretold: the real migrator runs the file again
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM drizzle.__drizzle_migrations").fetchone() == (5,)


def test_a_restamp_below_the_mark_stays_a_warning(cli, sample: Path, pg_url: str) -> None:
    f = load_folder(sample)
    rows = [(m.hash, m.when + 5000 if i == 2 else m.when) for i, m in enumerate(f.migrations)]
    rows[3] = (f.migrations[3].hash, f.migrations[3].when + 10_000)  # the newest row is later still
    insert(pg_url, rows)
    r = cli("check", "--json", "--migrations", str(sample), "--database-url", pg_url)
    found = [x for x in json.loads(r.stdout)["findings"] if x["code"] == "re-stamped"]
    assert [x["severity"] for x in found] == ["warning", "warning"], r.stdout
