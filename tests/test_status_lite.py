"""status's database side read through the bundled libpq (``db/status_lite.py``) against the psycopg
read (``read_rows``, ``invalid_indexes``, ``fingerprint``): the same values on every table shape; at
the least doubt no value (the psycopg read runs), so errors keep today's words and exit codes; and it
works behind PgBouncer's transaction pooling."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from gtsd_tui.db.drift_catalog import fingerprint
from gtsd_tui.db.history import create_table_sql, insert_row_literal, read_rows, table_ident
from gtsd_tui.db.libpq_lite import Unreached
from gtsd_tui.db.probe import invalid_indexes
from gtsd_tui.db.status_lite import read_status
from tests.conftest import PW_ROLE, PW_SECRET
from tests.test_pgbouncer import bouncer_url  # noqa: F401 - the fixture
from tests.test_status_child import _applied_project, invalid_index

pytestmark = pytest.mark.pg

FORK_OFF = {"GTSD_NO_FORK": "1"}
TRACK = ("drizzle", "__drizzle_migrations")
DRIFT_SCHEMA = Path(__file__).parent / "drift_schemas" / "app.ts"


def psycopg_read(url: str, schema: str = TRACK[0], table: str = TRACK[1]) -> tuple[Any, ...]:
    """What the psycopg read of status_read.read_db_side gives (the fingerprint only with a row)."""
    with psycopg.connect(url, autocommit=True) as conn:
        rows = read_rows(conn, schema, table)
        return rows, invalid_indexes(conn), fingerprint(conn, schema, table) if rows else None


def lite_read(url: str, schema: str = TRACK[0], table: str = TRACK[1]) -> tuple[Any, ...]:
    got = read_status(url, schema, table)
    assert got is not None and not isinstance(got, Unreached), "the libpq read gave up"
    return got


def _status(cli, folder: Path, url: str, *extra: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return cli("status", *extra, "--migrations", str(folder), "--database-url", url, env=env)


def _same_as_in_process(cli, folder: Path, url: str, env: dict[str, str] | None = None) -> list[Any]:  # type: ignore[no-untyped-def]
    """status (json and text) from the forked child equals the in-process psycopg read, byte for byte."""
    out = []
    for extra in (("--json",), ()):
        _status(cli, folder, url, *extra, env={**(env or {}), **FORK_OFF})  # the drift record written once
        alone = _status(cli, folder, url, *extra, env={**(env or {}), **FORK_OFF})
        forked = _status(cli, folder, url, *extra, env=env)
        assert (forked.returncode, forked.stdout, forked.stderr) == (alone.returncode, alone.stdout, alone.stderr)
        out.append(forked)
    return out


def test_a_v0_table_written_by_migrate_with_an_invalid_index(cli, sample: Path, pg_url: str) -> None:
    _applied_project(cli, sample, pg_url)  # three applied, one edited since, an INVALID index
    rows, invalid, fp = lite_read(pg_url)
    assert (rows, invalid, fp) == psycopg_read(pg_url)
    assert len(rows) == 3 and all(r.legacy and r.name is None and r.applied_at is None for r in rows)
    assert all(isinstance(r.id, int) and isinstance(r.created_at, int) for r in rows)
    assert invalid == [("public", "dup_v")]
    assert fp is not None and len(fp) == 32
    forked, _ = _same_as_in_process(cli, sample, pg_url)
    assert [m["state"] for m in json.loads(forked.stdout)["migrations"]] == [
        "applied",
        "modified",
        "applied",
        "pending",
    ]


@pytest.mark.node
def test_a_v1_table_written_by_drizzle_orm_1(tmp_path: Path, pg_url: str, cli) -> None:  # type: ignore[no-untyped-def]
    from tests.helpers.node_v1 import generate_v1, v1_migrate

    project = tmp_path / "v1"
    project.mkdir()
    schema = DRIFT_SCHEMA.read_text()
    (project / "schema.ts").write_text(schema)
    generate_v1(project, "init")
    time.sleep(1.1)  # the next folder's timestamp, a second on
    (project / "schema.ts").write_text(schema.replace('name: text("name").default("anon"),', 'name: text("name"),'))
    generate_v1(project, "plain_name")
    folder = project / "drizzle"
    assert v1_migrate(pg_url, folder).returncode == 0
    rows, invalid, fp = lite_read(pg_url)
    assert (rows, invalid, fp) == psycopg_read(pg_url)
    assert len(rows) == 2 and invalid == [] and fp
    assert all(not r.legacy and r.name and isinstance(r.applied_at, int) and r.applied_at > 0 for r in rows)
    with psycopg.connect(pg_url, autocommit=True) as conn:  # a row the v1 upgrade named: applied_at NULL
        conn.execute("UPDATE drizzle.__drizzle_migrations SET applied_at = NULL WHERE id = 1")
    assert lite_read(pg_url) == psycopg_read(pg_url)
    assert lite_read(pg_url)[0][0].applied_at is None
    _same_as_in_process(cli, folder, pg_url)


def test_no_tracking_table(pg_url: str) -> None:
    assert lite_read(pg_url) == psycopg_read(pg_url) == ([], [], None)


def test_a_tracking_table_whose_names_need_quoting(pg_url: str) -> None:
    """A schema and table named with a quote, a space and a %: the same identifier quoting, and the
    % not taken for a placeholder."""
    schema, table = 'odd "s', "tr%ack"
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        conn.execute(create_table_sql(schema, table))
        conn.execute(insert_row_literal(schema, table, "a" * 64, 1_700_000_000_000))
        conn.execute(sql.SQL("INSERT INTO {} (hash) VALUES ('bb')").format(table_ident(schema, table)))
    got = lite_read(pg_url, schema, table)
    assert got == psycopg_read(pg_url, schema, table)
    assert [(r.hash[0], r.created_at) for r in got[0]] == [("a", 1_700_000_000_000), ("b", None)]
    assert got[2] is not None


def test_what_would_not_decode_the_same_goes_the_psycopg_way(
    cli, sample: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A created_at of another type than an integer (psycopg gives a Decimal, whose int() truncates),
    and a client encoding other than UTF8: no libpq read, and status is what the psycopg read says."""
    assert cli("migrate", "--migrations", str(sample), "--database-url", pg_url).returncode == 0
    assert read_status(pg_url, *TRACK) is not None
    monkeypatch.setenv("PGCLIENTENCODING", "LATIN1")
    assert read_status(pg_url, *TRACK) is None
    monkeypatch.delenv("PGCLIENTENCODING")
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("ALTER TABLE drizzle.__drizzle_migrations ALTER COLUMN created_at TYPE numeric")
    assert read_status(pg_url, *TRACK) is None
    assert psycopg_read(pg_url)[0]  # psycopg reads it
    forked, _ = _same_as_in_process(cli, sample, pg_url)
    assert {m["state"] for m in json.loads(forked.stdout)["migrations"]} == {"applied"}


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_connection_errors_are_todays_word_for_word(cli, sample: Path, pg_url: str) -> None:
    """Wrong password, missing database, nothing listening, a malformed URL: the libpq read gives
    nothing where a server answered (the psycopg read words the error), and psycopg's words where
    none did (``Unreached``: final): the same stderr and exit code as in-process, no password
    anywhere. The right password reads through libpq."""
    host_port = pg_url.split("@", 1)[1].split("/", 1)[0]
    dbname = pg_url.rsplit("/", 1)[1]
    cases = {
        f"postgresql://{PW_ROLE}:not-{PW_SECRET}@{host_port}/{dbname}": (3, False),
        pg_url + "_absent": (3, False),
        f"postgresql://app:hunter2-Pw@127.0.0.1:{_closed_port()}/gtsd": (3, True),
        "postgresql://app:hunter2-Pw@127.0.0.1:notaport/gtsd": (3, True),  # parsed, then refused by libpq
        "postgresql://app:hunter2-Pw%zz@127.0.0.1/gtsd": (2, False),  # malformed
    }
    for url, (code, unreached) in cases.items():
        got = read_status(url, *TRACK)
        assert isinstance(got, Unreached) if unreached else got is None, (url, got)
        for r in _same_as_in_process(cli, sample, url):
            assert r.returncode == code, (url, r.stderr)
            assert len(r.stderr.strip().splitlines()) == 1, r.stderr
            assert PW_SECRET not in r.stdout + r.stderr and "hunter2" not in r.stdout + r.stderr
    right = f"postgresql://{PW_ROLE}:{PW_SECRET}@{host_port}/{dbname}"
    assert lite_read(right) == psycopg_read(right) == ([], [], None)
    for r in _same_as_in_process(cli, sample, right):
        assert r.returncode == 0 and PW_SECRET not in r.stdout + r.stderr


def test_a_bare_word_is_malformed_as_before(cli, sample: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A database URL that is a bare word: libpq alone would connect to that database (the server
    from PG* variables), psycopg's parse calls it malformed (exit 2): it still does."""
    host_port, dbname = pg_url.split("@", 1)[1].split("/", 1)
    env = {"PGHOST": host_port.split(":")[0], "PGPORT": host_port.split(":")[1], "PGUSER": "postgres"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert read_status(dbname, *TRACK) is None
    for r in _same_as_in_process(cli, sample, dbname, env=env):
        assert r.returncode == 2 and "malformed" in r.stderr, r.stderr


def test_behind_pgbouncer_transaction_pooling(cli, sample: Path, pg_url: str, bouncer_url: str) -> None:  # noqa: F811
    assert (
        cli("migrate", "--migrations", str(sample), "--database-url", pg_url, "--to", "0001_onboarding").returncode == 0
    )
    invalid_index(pg_url)
    got = lite_read(bouncer_url)
    assert got == psycopg_read(pg_url) and len(got[0]) == 2 and got[1] == [("public", "dup_v")]
    forked, _ = _same_as_in_process(cli, sample, bouncer_url)
    assert [m["state"] for m in json.loads(forked.stdout)["migrations"]] == ["applied", "applied", "pending", "pending"]
