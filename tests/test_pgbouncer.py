"""migrate through a real PgBouncer in transaction pooling mode (Debian's pgbouncer package)."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.procs import spawn_migrate
from tests.test_migrate import rows

pytestmark = pytest.mark.pg

PGBOUNCER = shutil.which("pgbouncer") or ("/usr/sbin/pgbouncer" if Path("/usr/sbin/pgbouncer").exists() else None)


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def bouncer_url(pg_url: str, tmp_path: Path) -> Iterator[str]:
    if PGBOUNCER is None:
        pytest.skip("pgbouncer is not installed (apt-get install pgbouncer; .ci/run does)")
    host_port, dbname = pg_url.split("@", 1)[1].split("/", 1)
    host, pg_port = host_port.split(":")
    port = _port()
    d = tmp_path / "bouncer"
    d.mkdir()
    (d / "users.txt").write_text('"postgres" ""\n')
    (d / "pgbouncer.ini").write_text(
        f"[databases]\n* = host={host} port={pg_port}\n[pgbouncer]\nlisten_addr = 127.0.0.1\n"
        f"listen_port = {port}\nauth_type = trust\nauth_file = {d}/users.txt\npool_mode = transaction\n"
        f"max_client_conn = 200\ndefault_pool_size = 10\nunix_socket_dir =\nlogfile = {d}/log\n"
        f"pidfile = {d}/pid\nignore_startup_parameters = extra_float_digits\n"
    )
    kwargs: dict = {}
    if os.geteuid() == 0:  # pgbouncer refuses to run as root
        pw = pwd.getpwnam("pgserver")
        os.chown(d, pw.pw_uid, pw.pw_gid)
        for f in d.iterdir():
            os.chown(f, pw.pw_uid, pw.pw_gid)
        kwargs = {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": []}
        tmp = tmp_path
        while tmp != tmp.parent:
            tmp.chmod(tmp.stat().st_mode | 0o001)
            tmp = tmp.parent
    proc = subprocess.Popen(
        [PGBOUNCER, str(d / "pgbouncer.ini")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs
    )
    deadline = time.time() + 10
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        if proc.poll() is not None:
            pytest.fail(f"pgbouncer exited: {proc.stderr.read() if proc.stderr else ''}")
        time.sleep(0.05)
    yield f"postgresql://postgres@127.0.0.1:{port}/{dbname}"
    proc.terminate()
    proc.wait(10)


def test_detects_transaction_pooling_and_applies_once(sample: Path, bouncer_url: str, pg_url: str) -> None:
    from gtsd_tui.db.pooler import transaction_pooling

    assert transaction_pooling(bouncer_url) is True
    assert transaction_pooling(pg_url) is False
    procs = [spawn_migrate(sample, bouncer_url) for _ in range(4)]
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, [e for _, e in results]
    assert all("PgBouncer transaction pooling detected" in err for _, err in results)
    got = rows(pg_url)
    assert len(got) == 4 and len({h for _, h, _ in got}) == 4


async def test_console_applies_through_transaction_pooling(sample: Path, bouncer_url: str, pg_url: str) -> None:
    """The console applies through the same service as migrate: the pooler is detected there too."""
    from gtsd_tui.tui.screens.confirm import ConfirmScreen
    from tests.test_tui import keys, make_app, wait_for

    app = make_app(sample, bouncer_url)
    async with app.run_test(size=(120, 34)) as pilot:
        await wait_for(pilot, lambda: len(keys(app, "#pending-table")) == 4)
        await pilot.press("2", "A")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: len(keys(app, "#history-table")) == 4, timeout=30)
        assert any("PgBouncer transaction pooling detected" in line for line in app.apply_log_lines)
    got = rows(pg_url)
    assert len(got) == 4 and len({h for _, h, _ in got}) == 4
