"""reset's quick path (``db/quick_reset.py``): a prepared spare swapped in through the bundled libpq,
before psycopg is imported. Against a real PostgreSQL: the CLI's reset with a ready spare loads no
psycopg and leaves every migration applied; the quick path tells the ordinary path's steps (so the
crash tests' kill hook stops it at each, ``tests/test_reset_faults.py``); whenever it is not the
plain case (lock held, spare of other migrations, a copy left under ``next``) it changes nothing and
the CLI's reset still succeeds through the ordinary path; libpq's reading of a URL is psycopg's."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from gtsd_tui.db import admin
from gtsd_tui.db.quick_reset import conninfo, swap_spare
from gtsd_tui.services.project import Project
from gtsd_tui.services.reset import fingerprint
from tests.test_reset_faults import assert_all_applied, databases, reset, wait_for_no_trash, wait_for_spare

pytestmark = pytest.mark.pg


def _wanted(folder: Path, url: str) -> str:
    from gtsd_tui.config import load_settings

    return fingerprint(Project(load_settings(migrations=str(folder), database_url=url)))


def _ready(sample: Path, pg_url: str) -> str:
    """A first reset done and its spare prepared; the target's name."""
    name = pg_url.rsplit("/", 1)[1]
    r = reset(sample, pg_url)
    assert r.returncode == 0, r.stderr
    wait_for_spare(pg_url, name)
    return name


def test_a_reset_with_a_ready_spare_never_imports_psycopg(sample: Path, pg_url: str) -> None:
    name = _ready(sample, pg_url)
    r = reset(sample, pg_url, env={"PYTHONPROFILEIMPORTTIME": "1"})
    assert r.returncode == 0, r.stderr
    assert "swap in prepared copy" in r.stdout, r.stdout
    imported = [line.rsplit("|", 1)[-1].strip() for line in r.stderr.splitlines() if line.startswith("import time:")]
    assert "gtsd_tui.services.reset" in imported  # the import log is there
    assert not [m for m in imported if m.split(".")[0] in ("psycopg", "psycopg_binary")], imported
    assert_all_applied(sample, pg_url)
    wait_for_spare(pg_url, name)
    assert databases(pg_url, name) == {name, admin.template_name(name), admin.spare_name(name)}


def test_the_quick_swap_tells_the_ordinary_swaps_steps(sample: Path, pg_url: str) -> None:
    name = _ready(sample, pg_url)
    steps: list[str] = []
    trash = swap_spare(pg_url, name, _wanted(sample, pg_url), steps.append)
    assert steps == ["locked", "swap in prepared copy", "target renamed", "copy in place"]
    assert trash is not None and len(trash) == 1  # the target's old copy, for the background job
    assert set(trash) == databases(pg_url, name) - {name, admin.template_name(name)}
    assert_all_applied(sample, pg_url)


def _bail_out_cases(conn: psycopg.Connection[object], name: str, case: str) -> None:
    if case == "next left over":
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(admin.next_name(name)), sql.Identifier(admin.template_name(name))
            )
        )
    elif case == "spare of other migrations":
        conn.execute(
            sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                sql.Identifier(admin.spare_name(name)), sql.Literal(admin.SPARE_PREFIX + "0" * 32)
            )
        )


@pytest.mark.parametrize("case", ["lock held", "next left over", "spare of other migrations", "spare in use"])
def test_not_the_plain_case_the_quick_swap_changes_nothing(case: str, sample: Path, pg_url: str) -> None:
    name = _ready(sample, pg_url)
    spare_url = pg_url.rsplit("/", 1)[0] + "/" + admin.spare_name(name)
    with psycopg.connect(admin.admin_url(pg_url), autocommit=True) as conn:
        busy = psycopg.connect(spare_url) if case == "spare in use" else None
        try:
            if busy is not None:
                busy.execute("SELECT 1")
            if case == "lock held":
                conn.execute("SELECT pg_advisory_lock(%s)", (admin.reset_lock_key(name),))
            _bail_out_cases(conn, name, case)
            before = databases(pg_url, name)
            steps: list[str] = []
            assert swap_spare(pg_url, name, _wanted(sample, pg_url), steps.append) is None
            assert databases(pg_url, name) == before
            assert "target renamed" not in steps
        finally:
            if busy is not None:
                busy.close()
            if case == "lock held":
                conn.execute("SELECT pg_advisory_unlock(%s)", (admin.reset_lock_key(name),))
    r = reset(sample, pg_url)  # the ordinary path does it (and repairs what there is to repair)
    assert r.returncode == 0, r.stderr
    assert_all_applied(sample, pg_url)
    wait_for_no_trash(pg_url, name)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://alice:s3cr%40t@localhost:5433/app?sslmode=disable&application_name=x",
        "postgres://h1,h2:5433,5434/d?target_session_attrs=read-write",
        "postgresql:///db%20name?host=/var/run/postgresql",
        "postgresql://[::1]:5432/caf%C3%A9",
        "host=/tmp dbname='a b' user=x password='p w'",
        "dbname=only",
    ],
)
def test_libpqs_reading_of_a_url_is_psycopgs(url: str) -> None:
    assert conninfo(url) == {k: str(v) for k, v in psycopg.conninfo.conninfo_to_dict(url).items() if v is not None}


@pytest.mark.parametrize("url", ["postgresql://u:%zz@h/db", "host='unterminated", "postgresql://h/db?nosuch=1"])
def test_a_malformed_url_is_left_to_psycopg_to_word(url: str) -> None:
    with pytest.raises(psycopg.ProgrammingError):
        psycopg.conninfo.conninfo_to_dict(url)
    assert conninfo(url) is None


def test_psycopg_binary_ships_the_libpq_the_quick_path_loads() -> None:
    from gtsd_tui.db.early_copy import bundled_libpq

    assert bundled_libpq() is not None  # psycopg[binary], which the project installs, ships it
