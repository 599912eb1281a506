"""``status``'s child meets a host no server answers on: reported once, in psycopg's words.

The child reads through the bundled libpq first (``db/status_lite.py``) and, at any doubt, over
psycopg. A connection no server answered used to be such a doubt: a host that drops packets was
waited for twice (``connect_timeout`` each). Now a timeout, a refusal or a name that does not resolve
is final (``Libpq.attempt``): the same message and exit code as the psycopg read, no second attempt,
no psycopg imported. A server that answers and refuses (a wrong password) still goes the psycopg way.
Real listeners on this machine, a real PostgreSQL; attempts are counted, never timed."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from gtsd_tui.db.connect import connect
from gtsd_tui.errors import DatabaseError
from tests.conftest import PW_ROLE, PW_SECRET

FORK_OFF = {"GTSD_NO_FORK": "1"}
SECRET = "hunter2-Pw"

_READ = """
import json, sys
from pathlib import Path
from gtsd_tui.config import load_settings
from gtsd_tui.services.project import Project
from gtsd_tui.services.status_read import read_db_side
side = read_db_side(Project(load_settings(cwd=Path(sys.argv[2]), database_url=sys.argv[1], environ={})))
print(json.dumps({"error": side.error, "psycopg": "psycopg" in sys.modules}))
"""


class SilentServer:
    """A listener that accepts every connection and never answers: libpq waits for the reply to its
    first message until ``connect_timeout``. ``accepted`` counts the connections made to it."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.port = int(self.sock.getsockname()[1])
        self.accepted = 0
        self.held: list[socket.socket] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            self.accepted += 1
            self.held.append(conn)

    def close(self) -> None:
        self.stop.set()
        self.thread.join()
        for conn in self.held:
            conn.close()
        self.sock.close()


@contextmanager
def silent_server() -> Iterator[SilentServer]:
    server = SilentServer()
    try:
        yield server
    finally:
        server.close()


@contextmanager
def dropping_port() -> Iterator[int]:
    """A port whose SYNs are dropped, as by a host that drops packets (no RST): a listener with a
    backlog of 0, its one queue place taken by a connection never accepted."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(0)
    port = int(sock.getsockname()[1])
    fillers = []
    for _ in range(2):
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex(("127.0.0.1", port))
        fillers.append(filler)
    try:
        yield port
    finally:
        for filler in fillers:
            filler.close()
        sock.close()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def psycopg_words(url: str) -> str:
    """What the psycopg read of ``status_read.read_db_side`` says for ``url`` (today's message)."""
    with pytest.raises(DatabaseError) as caught:
        connect(url)
    return str(caught.value)


def child_read(url: str, cwd: Path) -> tuple[list[object] | None, bool]:
    """``read_db_side`` as status's child runs it, in a fresh process: its error, and whether it
    imported psycopg (the psycopg read)."""
    r = subprocess.run([sys.executable, "-c", _READ, url, str(cwd)], capture_output=True, text=True, check=True)
    got = json.loads(r.stdout)
    return got["error"], got["psycopg"]


def _status(cli, folder: Path, url: str, *extra: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return cli("status", *extra, "--migrations", str(folder), "--database-url", url, env=env)


def test_a_server_that_never_answers_is_connected_to_once(cli, sample: Path) -> None:  # type: ignore[no-untyped-def]
    """status and status --json on a listener that never answers: one connection each (there were
    two: the libpq read's, then psycopg's), the same stderr and exit code 3 as the in-process read
    (psycopg's, one connection too)."""
    for extra in ((), ("--json",)):
        with silent_server() as server:
            url = f"postgresql://app:{SECRET}@127.0.0.1:{server.port}/gtsd"
            forked = _status(cli, sample, url, *extra)
            assert server.accepted == 1, (extra, server.accepted)
            alone = _status(cli, sample, url, *extra, env=FORK_OFF)
            assert server.accepted == 2, (extra, server.accepted)
        assert forked.returncode == 3 and "connection timeout expired" in forked.stderr, forked.stderr
        assert (forked.returncode, forked.stdout, forked.stderr) == (alone.returncode, alone.stdout, alone.stderr)
        assert SECRET not in forked.stdout + forked.stderr


def test_a_host_that_drops_packets_is_final_in_the_childs_read(tmp_path: Path) -> None:
    """The child's read of a port whose SYNs are dropped: psycopg's message for it, exit code 3, and
    no psycopg read after the libpq one timed out."""
    with dropping_port() as port:
        url = f"postgresql://app:{SECRET}@127.0.0.1:{port}/gtsd"
        error, psycopg_read = child_read(url, tmp_path)
        expected = psycopg_words(url)
    assert error == ["DatabaseError", expected, 3]
    assert expected.endswith(": connection timeout expired") and SECRET not in expected
    assert not psycopg_read


URLS = {
    "refused": lambda: f"postgresql://app:{SECRET}@127.0.0.1:{_closed_port()}/gtsd",
    "no address": lambda: f"postgresql://app:{SECRET}@gtsd-no-such-host.invalid:5432/gtsd",
    "not a port": lambda: f"postgresql://app:{SECRET}@127.0.0.1:notaport/gtsd",  # refused by libpq
    "no socket": lambda: f"postgresql://app:{SECRET}@/gtsd?host=/nonexistent-gtsd-socket-dir",
    "key=value": lambda: f"host=127.0.0.1 port={_closed_port()} password={SECRET} dbname=gtsd",
}


@pytest.mark.parametrize("case", sorted(URLS))
def test_refused_and_unresolved_are_final_in_psycopgs_words(tmp_path: Path, case: str) -> None:
    """No server answered: the libpq read's error is the psycopg read's, word for word (exit code
    3, no password), and the child never reads over psycopg."""
    url = URLS[case]()
    error, psycopg_read = child_read(url, tmp_path)
    expected = psycopg_words(url)
    assert error == ["DatabaseError", expected, 3]
    assert SECRET not in expected
    assert not psycopg_read


def test_several_hosts_are_each_tried_once(tmp_path: Path) -> None:
    """A URL of two hosts that never answer: psycopg tries each once, under its own deadline; the
    child's libpq read does the same and stops there (one connection to each, psycopg's words for the
    last, psycopg never imported). Two hosts refused, or not resolving: the same, word for word."""
    with silent_server() as first, silent_server() as second:
        url = f"postgresql://app:{SECRET}@127.0.0.1:{first.port},127.0.0.1:{second.port}/gtsd"
        error, psycopg_read = child_read(url, tmp_path)
        assert (first.accepted, second.accepted) == (1, 1)
        assert error == ["DatabaseError", psycopg_words(url), 3]
        assert not psycopg_read
    for hosts in (
        f"127.0.0.1:{_closed_port()},127.0.0.1:{_closed_port()}",
        f"gtsd-no-such-host.invalid:5432,127.0.0.1:{_closed_port()}",
        "gtsd-no-such-host.invalid:5432,gtsd-none-either.invalid:5432",
    ):
        url = f"postgresql://app:{SECRET}@{hosts}/gtsd"
        error, psycopg_read = child_read(url, tmp_path)
        assert error == ["DatabaseError", psycopg_words(url), 3], hosts
        assert not psycopg_read


def test_an_order_psycopg_chooses_itself_goes_the_psycopg_way(tmp_path: Path) -> None:
    """``prefer-standby`` and random load balancing: psycopg orders the attempts itself; the child
    leaves the URL to psycopg's read, as before."""
    hosts = f"127.0.0.1:{_closed_port()},127.0.0.1:{_closed_port()}"
    for option in ("target_session_attrs=prefer-standby", "load_balance_hosts=random"):
        url = f"postgresql://app:{SECRET}@{hosts}/gtsd?{option}"
        error, psycopg_read = child_read(url, tmp_path)
        assert error is not None and error[0] == "DatabaseError" and error[2] == 3
        assert psycopg_read, option


@pytest.mark.pg
def test_a_server_that_answers_and_refuses_still_goes_the_psycopg_way(tmp_path: Path, pg_url: str) -> None:
    """A wrong password: the server answered, the libpq read keeps none of its words and psycopg's
    read words it, as before."""
    host_port, dbname = pg_url.split("@", 1)[1].split("/", 1)
    url = f"postgresql://{PW_ROLE}:not-{PW_SECRET}@{host_port}/{dbname}"
    error, psycopg_read = child_read(url, tmp_path)
    assert error == ["DatabaseError", psycopg_words(url), 3]
    assert psycopg_read


def test_a_reset_on_a_server_that_never_answers_connects_once(cli, sample: Path) -> None:  # type: ignore[no-untyped-def]
    """reset's quick path (the bundled libpq, before psycopg) met the same double wait: one connection
    now, and the error of the ordinary path (``--no-template`` goes straight to it) byte for byte."""
    with silent_server() as server:
        url = f"postgresql://app:{SECRET}@127.0.0.1:{server.port}/gtsd"
        quick = cli("reset", "--yes", "--migrations", str(sample), "--database-url", url)
        assert server.accepted == 1, server.accepted
        ordinary = cli("reset", "--yes", "--no-template", "--migrations", str(sample), "--database-url", url)
        assert server.accepted == 2, server.accepted
    assert quick.returncode == 3 and "connection timeout expired" in quick.stderr, quick.stderr
    assert (quick.returncode, quick.stdout, quick.stderr) == (ordinary.returncode, ordinary.stdout, ordinary.stderr)
    assert SECRET not in quick.stdout + quick.stderr
