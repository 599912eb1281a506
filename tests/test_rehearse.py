"""rehearse and careful migrate against a real PostgreSQL: locks, rewrites, schema diff, blockers."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import psycopg
import pytest

from gtsd_tui.db.embedded import find_bindir
from tests.helpers.folders import make_folder

pytestmark = pytest.mark.pg

BASE = (
    "CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL);\n"
    "--> statement-breakpoint\n"
    "CREATE TABLE tasks (id serial PRIMARY KEY, n integer NOT NULL DEFAULT 0);\n"
)
MIXED = (
    "CREATE INDEX users_email_idx ON users (email);\n"
    "--> statement-breakpoint\n"
    "-- two statements in one chunk: split with pglast for the rehearsal\n"
    "ALTER TABLE users ADD COLUMN c int DEFAULT random();\n"
    "ALTER TABLE tasks ALTER COLUMN n TYPE bigint;\n"
)
CIC = "CREATE INDEX CONCURRENTLY users_c_idx ON users (c);\n"


def project(tmp_path: Path) -> Path:
    return make_folder(tmp_path / "migrations", [("base", BASE), ("mixed", MIXED), ("cic", CIC)])


def cli_args(folder: Path, url: str, *extra: str) -> list[str]:
    return ["--migrations", str(folder), "--database-url", url, *extra]


def target_state(url: str) -> tuple[str, list[tuple]]:
    """The target's schema as pg_dump prints it (minus psql meta-commands), its relfilenodes and its rows."""
    bindir = find_bindir()
    dump = subprocess.run(
        [str(bindir / "pg_dump") if bindir else "pg_dump", "--schema-only", "--dbname", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    text = "\n".join(line for line in dump.splitlines() if not line.startswith("\\"))
    with psycopg.connect(url) as conn:
        rel = conn.execute(
            "SELECT relname, relkind, relfilenode FROM pg_class WHERE oid >= 16384 ORDER BY oid"
        ).fetchall()
        rows = conn.execute("SELECT id, hash, created_at FROM drizzle.__drizzle_migrations ORDER BY id").fetchall()
    return text, rel + rows


def leftovers(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        return [r[0] for r in conn.execute("SELECT datname FROM pg_database WHERE datname LIKE '%%gtsd_rehearse%%'")]


def applied_base(cli, tmp_path: Path, url: str) -> Path:
    folder = project(tmp_path)
    r = cli("migrate", *cli_args(folder, url, "--to", "0000_base"))
    assert r.returncode == 0, r.stderr
    with psycopg.connect(url) as conn:
        conn.execute("INSERT INTO users (email) SELECT 'u' || g FROM generate_series(1, 500) g")
        conn.execute("INSERT INTO tasks (n) SELECT g FROM generate_series(1, 500) g")
    gone(url)
    return folder


def gone(url: str) -> None:
    """Wait until the server has ended every session on ``url``'s database (a closed connection's
    backend exits a moment later): a template copy made right after would otherwise be refused."""
    info = psycopg.conninfo.conninfo_to_dict(url)
    dbname, admin = info["dbname"], psycopg.conninfo.make_conninfo(url, dbname="postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        for _ in range(400):
            if not conn.execute("SELECT 1 FROM pg_stat_activity WHERE datname = %s", (dbname,)).fetchone():
                return
            time.sleep(0.025)


def test_rehearse_json_reports_locks_rewrites_and_schema_diff(cli, tmp_path: Path, pg_url: str) -> None:
    folder = applied_base(cli, tmp_path, pg_url)
    before = target_state(pg_url)
    r = cli("rehearse", "--json", *cli_args(folder, pg_url))
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["method"] == "template" and out["ok"] and out["applied"] == ["0001_mixed", "0002_cic"]
    st = out["statements"]
    assert [s["sql"].split(" (")[0] for s in st] == [
        "CREATE INDEX users_email_idx ON users",
        "ALTER TABLE users ADD COLUMN c int DEFAULT random()",
        "ALTER TABLE tasks ALTER COLUMN n TYPE bigint",
        "CREATE INDEX CONCURRENTLY users_c_idx ON users",
    ]
    idx, add, typ, cic = st
    assert {"mode": "ACCESS EXCLUSIVE", "relation": "public.users"} in add["locks"]
    assert add["rewrite"] is True and "public.users" in add["rewrites"]
    assert idx["locks"] == [{"mode": "SHARE", "relation": "public.users"}] and idx["rewrite"] is False
    assert (add["line"], add["column"]) == (4, 1) and add["already_held"] == [idx["locks"][0]]
    assert {"mode": "ACCESS EXCLUSIVE", "relation": "public.tasks"} in typ["locks"]
    assert typ["rewrite"] is True and "public.tasks" in typ["rewrites"]
    assert cic["transactional"] is False and cic["locks_observed"] is False and cic["rewrite"] is False
    assert cic["locks"] == [{"mode": "SHARE UPDATE EXCLUSIVE", "relation": "public.users"}]
    assert all(s["seconds"] > 0 and s["error"] is None for s in st)
    summary = out["schema_summary"]
    assert "+ column public.users.c: integer DEFAULT random()" in summary
    assert any(line.startswith("+ index public.users_email_idx") for line in summary)
    assert any(line.startswith("+ index public.users_c_idx") for line in summary)
    assert "~ column public.tasks.n: integer NOT NULL DEFAULT 0 -> bigint NOT NULL DEFAULT 0" in summary
    assert target_state(pg_url) == before
    assert leftovers(pg_url) == []


def test_our_own_preflight_session_is_not_a_client_that_would_queue(cli, tmp_path: Path, pg_url: str) -> None:
    """The data preflight's session ends on our side before the blockers are read, but its backend may
    still be on the server a moment later: it was counted in would_block (CI: 2 where 1)."""
    folder = applied_base(cli, tmp_path, pg_url)
    app = psycopg.connect(pg_url, autocommit=True, application_name="api")
    ours = psycopg.connect(pg_url, autocommit=True, application_name="gtsd-tui preflight")  # as if still leaving
    try:
        r = cli("rehearse", "--json", *cli_args(folder, pg_url, "--to", "0001_mixed"))
        assert r.returncode == 0, r.stderr
        add = next(s for s in json.loads(r.stdout)["statements"] if s["sql"].startswith("ALTER TABLE users"))
        assert add["would_block"] == 1  # the api session only
    finally:
        app.close()
        ours.close()


def test_idle_in_transaction_session_is_named_and_lock_timeout_retries_give_up(
    cli, tmp_path: Path, pg_url: str
) -> None:
    folder = applied_base(cli, tmp_path, pg_url)
    idle = psycopg.connect(pg_url, application_name="report-job")
    idle.execute("SELECT * FROM users").fetchall()  # now idle in transaction, holding ACCESS SHARE on users
    pid = idle.info.backend_pid
    app = psycopg.connect(pg_url, autocommit=True, application_name="api")  # connected, not touching users yet
    try:
        r = cli("rehearse", "--json", *cli_args(folder, pg_url, "--to", "0001_mixed"))
        assert r.returncode == 0, r.stderr
        out = json.loads(r.stdout)
        assert out["method"] == "schema-only" and "not measured" in r.stderr
        add = next(s for s in out["statements"] if s["sql"].startswith("ALTER TABLE users"))
        assert [(b["pid"], b["application"], b["state"]) for b in add["blockers"]] == [
            (pid, "report-job", "idle in transaction")
        ]
        assert add["would_block"] == 1  # the api session queues behind the ACCESS EXCLUSIVE on its next query
        text = cli("rehearse", *cli_args(folder, pg_url, "--to", "0001_mixed"))
        assert f"would wait behind pid {pid} (idle in transaction" in text.stdout
        assert leftovers(pg_url) == []

        r = cli("migrate", *cli_args(folder, pg_url, "--lock-timeout", "200ms", "--retries", "2"))
        assert r.returncode == 4, r.stderr
        assert f"waits behind pid {pid}" in r.stderr and "3 attempts" in r.stderr
        assert r.stderr.count("rolled back, retry") == 2
        with psycopg.connect(pg_url) as conn:
            assert conn.execute("SELECT count(*) FROM drizzle.__drizzle_migrations").fetchone() == (1,)
            assert conn.execute("SELECT to_regclass('users_email_idx')").fetchone() == (None,)
    finally:
        idle.close()
        app.close()
    r = cli("migrate", *cli_args(folder, pg_url, "--lock-timeout", "200ms", "--retries", "2"))
    assert r.returncode == 0, r.stderr
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM drizzle.__drizzle_migrations").fetchone() == (3,)
    out = json.loads(cli("rehearse", "--json", *cli_args(folder, pg_url)).stdout)
    assert (out["method"], out["statements"], out["schema_summary"]) == ("none", [], ["(no schema change)"])


def test_durations_in_postgresql_forms_and_bad_ones_refused(cli, tmp_path: Path, pg_url: str) -> None:
    from gtsd_tui.core.durations import parse_duration

    assert [parse_duration(v) for v in ("200ms", "2s", "1min", "3", "1.5")] == [0.2, 2.0, 60.0, 3.0, 1.5]
    folder = project(tmp_path)
    r = cli("migrate", *cli_args(folder, pg_url, "--lock-timeout", "2 weeks"))
    assert r.returncode == 2 and "--lock-timeout '2 weeks': not a duration" in r.stderr
    r = cli("migrate", *cli_args(folder, pg_url), env={"GTSD_LOCK_RETRIES": "many"})
    assert r.returncode == 2 and "GTSD_LOCK_RETRIES (environment) 'many'" in r.stderr
    with psycopg.connect(pg_url) as conn:  # refused before the first statement
        assert conn.execute("SELECT to_regclass('drizzle.__drizzle_migrations')").fetchone() == (None,)


def test_failed_concurrent_index_is_reported_and_resumed(cli, tmp_path: Path, pg_url: str) -> None:
    folder = make_folder(
        tmp_path / "migrations",
        [
            ("base", BASE),
            (
                "cic",
                "CREATE INDEX CONCURRENTLY users_id_idx ON users (id);\n--> statement-breakpoint\n"
                "CREATE UNIQUE INDEX CONCURRENTLY users_email_uq ON users (email);\n",
            ),
        ],
    )
    assert cli("migrate", *cli_args(folder, pg_url, "--to", "0000_base")).returncode == 0
    with psycopg.connect(pg_url) as conn:
        conn.execute("INSERT INTO users (email) VALUES ('a'), ('a'), ('b')")
    r = cli("migrate", *cli_args(folder, pg_url))  # the data preflight sees the duplicates first
    assert r.returncode == 1 and "users_email_uq" in r.stderr and "nothing applied" in r.stderr
    # past the preflight, the index build itself fails and leaves an INVALID index behind
    r = cli("migrate", "--no-preflight", *cli_args(folder, pg_url))
    assert r.returncode == 3 and "0001_cic.sql:3:" in r.stderr and "23505" in r.stderr
    r = cli("status", "--json", *cli_args(folder, pg_url))
    assert json.loads(r.stdout)["invalid_indexes"] == [
        {"index": "public.users_email_uq", "migration": "0001_cic", "file": "0001_cic.sql"}
    ]
    r = cli("check", "--json", *cli_args(folder, pg_url))
    found = [f for f in json.loads(r.stdout)["findings"] if f["code"] == "invalid-index"]
    assert r.returncode == 1 and found[0]["files"] == ["0001_cic.sql"] and "users_email_uq" in found[0]["message"]
    r = cli("migrate", "--no-preflight", *cli_args(folder, pg_url))  # still duplicates: the same way again
    assert r.returncode == 3 and "23505" in r.stderr and "already exists" not in r.stderr
    with psycopg.connect(pg_url) as conn:
        conn.execute("DELETE FROM users WHERE ctid IN (SELECT max(ctid) FROM users WHERE email = 'a')")
    r = cli("migrate", *cli_args(folder, pg_url))
    assert r.returncode == 0, r.stderr
    with psycopg.connect(pg_url) as conn:
        valid = conn.execute(
            "SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE c.relname IN ('users_id_idx', 'users_email_uq') ORDER BY 1"
        ).fetchall()
        assert valid == [("users_email_uq", True), ("users_id_idx", True)]
        assert conn.execute("SELECT count(*) FROM drizzle.__drizzle_migrations").fetchone() == (2,)
    assert json.loads(cli("status", "--json", *cli_args(folder, pg_url)).stdout)["invalid_indexes"] == []


def test_cosmetic_edit_is_accepted_substantive_refused_and_drizzle_sees_nothing_pending(
    cli, tmp_path: Path, sample: Path, pg_url: str
) -> None:
    from tests.helpers.git import base_repo
    from tests.helpers.node import drizzle_migrate

    repo = base_repo(tmp_path, sample)
    folder = repo / "migrations"
    assert cli("migrate", *cli_args(folder, pg_url)).returncode == 0
    cosmetic, substantive = folder / "0003_today_checklist.sql", folder / "0002_partners.sql"
    text = cosmetic.read_text()
    cosmetic.write_text("-- reviewed by ops\n" + text.replace("\n", "\n\n", 3).replace("  ", "    "))
    substantive.write_text(substantive.read_text().replace("DEFAULT 'invited'", "DEFAULT 'pending'"))
    st = json.loads(cli("status", "--json", *cli_args(folder, pg_url)).stdout)
    edits = {m["tag"]: m.get("edit") for m in st["migrations"]}
    assert edits["0003_today_checklist"]["edit"] == "cosmetic"
    assert edits["0002_partners"]["edit"] == "substantive"
    assert any("'pending'" in line for line in edits["0002_partners"]["statement_diff"])
    r = cli("accept", "0002_partners.sql", *cli_args(folder, pg_url))
    assert r.returncode == 1 and "substantive" in r.stderr
    r = cli("accept", str(cosmetic), *cli_args(folder, pg_url))
    assert r.returncode == 0, r.stderr
    states = {
        m["tag"]: m["state"]
        for m in json.loads(cli("status", "--json", *cli_args(folder, pg_url)).stdout)["migrations"]
    }
    assert states == {
        "0000_initial_schema": "applied",
        "0001_onboarding": "applied",
        "0002_partners": "modified",
        "0003_today_checklist": "applied",
    }
    with psycopg.connect(pg_url) as conn:
        rows = conn.execute("SELECT created_at FROM drizzle.__drizzle_migrations ORDER BY id").fetchall()
    assert [r[0] for r in rows] == [
        json.loads((folder / "meta/_journal.json").read_text())["entries"][i]["when"] for i in range(4)
    ]
    d = drizzle_migrate(pg_url, folder)  # the real drizzle-orm migrator: nothing to apply, no new row
    assert d.returncode == 0, d.stderr
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM drizzle.__drizzle_migrations").fetchone() == (4,)


def test_ctrl_c_during_rehearsal_drops_the_copy(tmp_path: Path, pg_url: str) -> None:
    import os
    import signal
    import sys

    from tests.helpers.procs import default_signals, wait_for_query

    folder = make_folder(
        tmp_path / "migrations", [("base", BASE), ("slow", "SELECT pg_sleep(3" + "0);\nALTER TABLE users ADD x int;\n")]
    )
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    cmd = [sys.executable, "-m", "gtsd_tui", "rehearse", *cli_args(folder, pg_url)]
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=default_signals
    )
    wait_for_query(pg_url, "pg_sleep(30")
    assert leftovers(pg_url) != []  # the copy exists while the rehearsal runs
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert leftovers(pg_url) == []
    with psycopg.connect(pg_url) as conn:  # the target never saw any of it
        assert conn.execute("SELECT to_regclass('drizzle.__drizzle_migrations')").fetchone() == (None,)
