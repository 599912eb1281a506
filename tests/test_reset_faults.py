"""reset under faults against a real PostgreSQL: a busy prepared copy, a SIGKILL after every step,
two resets at once, and database names at PostgreSQL's 63-byte limit (multibyte ones included).

After each of them the target exists with every migration applied (a reset never leaves it missing,
or the next reset puts it back), and the background job leaves no trash behind."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from gtsd_tui.db import admin
from tests.conftest import run_cli

pytestmark = pytest.mark.pg


def _admin(url: str) -> str:
    return admin.admin_url(url)


def reset(folder: Path, url: str, *extra: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run_cli("reset", "--yes", "--migrations", str(folder), "--database-url", url, *extra, env=env, timeout=180)


def applied(folder: Path, url: str) -> subprocess.CompletedProcess[str]:
    return run_cli("status", "--json", "--migrations", str(folder), "--database-url", url)


def assert_all_applied(folder: Path, url: str) -> None:
    st = applied(folder, url)
    assert st.returncode == 0, st.stderr
    assert {m["state"] for m in json.loads(st.stdout)["migrations"]} == {"applied"}, st.stdout


def databases(url: str, name: str) -> set[str]:
    """The target and every database derived from it (template, spare, next, trash)."""
    wanted = {name, admin.template_name(name), admin.spare_name(name), admin.next_name(name)}
    with psycopg.connect(_admin(url), autocommit=True) as conn:
        present = {str(r[0]) for r in conn.execute("SELECT datname FROM pg_database")}
        return (present & wanted) | set(admin.trash_of(conn, name))


def wait_for_spare(url: str, name: str, timeout: float = 60) -> None:
    """Until the background job has made the spare of the current template (comment set: an older spare
    is replaced, dropped first, by the job of the reset that saved a new template) and dropped every
    trash copy."""
    deadline = time.time() + timeout
    with psycopg.connect(_admin(url), autocommit=True) as conn:
        while time.time() < deadline:
            spare = admin.spare_fingerprint(conn, admin.spare_name(name))
            ready = spare is not None and spare == admin.template_fingerprint(conn, admin.template_name(name))
            if ready and not admin.trash_of(conn, name):
                return
            time.sleep(0.05)
    raise AssertionError(f"no spare for {name}: {databases(url, name)}")


def wait_for_no_trash(url: str, name: str, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    with psycopg.connect(_admin(url), autocommit=True) as conn:
        while time.time() < deadline:
            if not admin.trash_of(conn, name) and not admin.exists(conn, admin.next_name(name)):
                return
            time.sleep(0.05)
    raise AssertionError(f"trash left: {databases(url, name)}")


def test_a_busy_spare_never_loses_the_database(sample: Path, pg_url: str) -> None:
    """Issue 33 (1): a session on the spare made the second rename fail after the target was renamed away."""
    name = pg_url.rsplit("/", 1)[1]
    assert reset(sample, pg_url).returncode == 0
    wait_for_spare(pg_url, name)
    spare_url = pg_url.rsplit("/", 1)[0] + "/" + admin.spare_name(name)
    with psycopg.connect(spare_url) as busy:
        busy.execute("SELECT 1")
        r = reset(sample, pg_url)
        assert r.returncode == 0, r.stderr
        assert "clone template" in r.stdout, r.stdout  # the busy spare is left alone, the template cloned
    assert_all_applied(sample, pg_url)
    r = reset(sample, pg_url)
    assert r.returncode == 0, r.stderr
    assert_all_applied(sample, pg_url)
    wait_for_no_trash(pg_url, name)


@pytest.mark.slow
@pytest.mark.parametrize("path", ["spare", "template", "migrate"])
def test_killed_after_every_step_the_next_reset_repairs(path: str, sample: Path, pg_url: str) -> None:
    """A SIGKILL after each step of reset (the kill hook): every later reset exits 0 with the database whole."""
    name = pg_url.rsplit("/", 1)[1]
    assert reset(sample, pg_url).returncode == 0
    kills = 0
    for step in range(1, 30):
        wait_for_spare(pg_url, name)
        if path == "template":  # the spare away: the template is cloned
            with psycopg.connect(_admin(pg_url), autocommit=True) as conn:
                conn.execute(sql.SQL("DROP DATABASE {}").format(sql.Identifier(admin.spare_name(name))))
        if path == "migrate":  # a changed migration: a full migrate, then a new template
            (sample / "0003_today_checklist.sql").write_text((sample / "0003_today_checklist.sql").read_text() + "\n")
        r = reset(sample, pg_url, env={"GTSD_TEST_KILL_RESET_STEP": str(step)})
        if r.returncode == 0:
            break
        assert r.returncode == -9, r.stderr
        kills += 1
        again = reset(sample, pg_url)  # the next reset repairs whatever the kill left
        assert again.returncode == 0, (step, again.stderr, databases(pg_url, name))
        assert_all_applied(sample, pg_url)
    assert kills >= 3, kills  # the hook really stops the reset at several points
    assert_all_applied(sample, pg_url)
    wait_for_spare(pg_url, name)
    assert databases(pg_url, name) == {name, admin.template_name(name), admin.spare_name(name)}


@pytest.mark.slow
@pytest.mark.parametrize("changed", [False, True], ids=["unchanged", "changed"])
def test_two_resets_at_once_both_succeed_and_leave_the_database(changed: bool, sample: Path, pg_url: str) -> None:
    """Issue 33 (2): both printed success and the database was gone, or one failed on pg_database_datname_index."""
    name = pg_url.rsplit("/", 1)[1]
    assert reset(sample, pg_url).returncode == 0
    with ThreadPoolExecutor(2) as pool:
        for n in range(20):
            if changed:
                (sample / "0003_today_checklist.sql").write_text(
                    (sample / "0003_today_checklist.sql").read_text() + f"-- round {n}\n"
                )
            runs = list(pool.map(lambda _: reset(sample, pg_url), range(2)))
            assert [r.returncode for r in runs] == [0, 0], [r.stderr for r in runs]
            assert_all_applied(sample, pg_url)
    wait_for_no_trash(pg_url, name)


@pytest.fixture
def named_db(request: pytest.FixtureRequest, pg_server: str) -> Iterator[str]:
    """A database with the name the test is parametrized with; it and its derived databases dropped after."""
    name = request.param
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    info = psycopg.conninfo.conninfo_to_dict(pg_server)
    info["dbname"] = name
    yield psycopg.conninfo.make_conninfo(**{k: str(v) for k, v in info.items()})
    time.sleep(0.5)
    with psycopg.connect(pg_server, autocommit=True) as conn:
        names = {name, admin.template_name(name), admin.spare_name(name), admin.next_name(name)}
        for _ in range(100):  # the background job may still be making the spare
            for n in names | set(admin.trash_of(conn, name)):
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(n)))
            if not (names & {str(r[0]) for r in conn.execute("SELECT datname FROM pg_database")}):
                break
            time.sleep(0.1)


LONG_NAMES = [
    "l" * 63,  # 63 bytes: the template suffix used to be cut off entirely
    "m" * 58,  # 56-62: the template and spare names used to be the same
    "é" * 31 + "x",  # 63 bytes in 32 characters: cut by characters, it overflowed
    "データベース" * 3 + "_" + "ü" * 3,  # 61 bytes, 3-byte characters
]


@pytest.mark.parametrize("named_db", LONG_NAMES, indirect=True, ids=["63-ascii", "58-ascii", "63-2byte", "61-3byte"])
def test_long_and_multibyte_names_keep_their_template_and_spare(named_db: str, sample: Path) -> None:
    url = named_db
    name = admin.dbname_of(url)
    first = reset(sample, url)
    assert first.returncode == 0, first.stderr
    assert "save template" in first.stdout
    assert_all_applied(sample, url)
    wait_for_spare(url, name)
    derived = databases(url, name)
    assert derived == {name, admin.template_name(name), admin.spare_name(name)}, derived
    with psycopg.connect(_admin(url), autocommit=True) as conn:
        stored = {str(r[0]) for r in conn.execute("SELECT datname FROM pg_database")}
    assert derived <= stored  # the names PostgreSQL kept are the ones asked for: nothing was truncated
    second = reset(sample, url)
    assert second.returncode == 0, second.stderr
    assert "swap in prepared copy" in second.stdout and "migrate" not in second.stdout, second.stdout
    assert_all_applied(sample, url)


def test_a_held_reset_lock_ends_in_exit_4_naming_the_holder(sample: Path, pg_url: str) -> None:
    name = pg_url.rsplit("/", 1)[1]
    with psycopg.connect(_admin(pg_url), autocommit=True) as holder:
        holder.execute("SET application_name = 'another reset'")
        holder.execute("SELECT pg_advisory_lock(%s)", (admin.reset_lock_key(name),))
        pid = holder.info.backend_pid
        r = reset(sample, pg_url, "--wait", "0.5")
    assert r.returncode == 4, r.stderr
    assert f"reset lock of {name} not acquired" in r.stderr and f"pid {pid} (another reset" in r.stderr, r.stderr
    with psycopg.connect(pg_url) as conn:  # untouched
        assert conn.execute("SELECT to_regclass('drizzle.__drizzle_migrations')").fetchone() == (None,)
