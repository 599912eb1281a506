"""Detect a transaction-pooling connection pooler (PgBouncer ``pool_mode = transaction``).

There, a session advisory lock does not hold: the next transaction may run on another server
connection. The probe: note our backend pid, pin two more clients inside transactions (a
pooler hands them its idle server connections, ours first), and ask again. A direct
connection always answers with the same pid; through a transaction pooler the answer changes
in at least one of a few rounds, even while other clients use the pool.

Before that probe, one query on the first connection: when the server sees this session's client
address and port as our socket's own address and port, and its own as the one we connected to, the TCP
connection ends at the server itself and nothing pools it (a pooler's server connection has its own
socket). A Unix socket, or addresses that differ (a pooler, a NAT, a proxy), go on to the probe.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from contextlib import ExitStack
from typing import Any

import psycopg

from gtsd_tui.db.connect import connect

ROUNDS = 3


def transaction_pooling(url: str, first: psycopg.Connection[Any] | None = None) -> bool:
    """``first``: a session of the caller's to probe with (left open), else one is opened."""
    with ExitStack() as stack:
        if first is None:
            first = stack.enter_context(connect(url, prepare_threshold=None))
        if direct_session(first):
            return False
        others = [stack.enter_context(connect(url, autocommit=False, prepare_threshold=None)) for _ in range(2)]
        for _ in range(ROUNDS):
            before = first.execute("SELECT pg_backend_pid()").fetchone()
            pinned = [conn.execute("SELECT pg_backend_pid()").fetchone() for conn in others]
            after = first.execute("SELECT pg_backend_pid()").fetchone()
            for conn in others:
                conn.rollback()
            if before != after or before in pinned:
                return True
    return False


def direct_session(conn: psycopg.Connection[Any]) -> bool:
    """True when the server's view of this session's TCP endpoints is our socket's, both ends."""
    row = conn.execute(
        "SELECT host(inet_client_addr()), inet_client_port(), host(inet_server_addr()), inet_server_port()"
    ).fetchone()
    if row is None or None in row:  # a Unix socket: the probe tells
        return False
    try:
        with socket.socket(fileno=os.dup(conn.pgconn.socket)) as sock:
            if sock.family not in (socket.AF_INET, socket.AF_INET6):
                return False
            ours, theirs = sock.getsockname()[:2], sock.getpeername()[:2]
    except (OSError, ValueError):
        return False
    return _same(ours, row[0], row[1]) and _same(theirs, row[2], row[3])


def _same(end: tuple[str, int], host: str, port: int) -> bool:
    try:
        a, b = ipaddress.ip_address(end[0].split("%")[0]), ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(a, ipaddress.IPv6Address) and a.ipv4_mapped is not None:
        a = a.ipv4_mapped
    if isinstance(b, ipaddress.IPv6Address) and b.ipv4_mapped is not None:
        b = b.ipv4_mapped
    return a == b and end[1] == port
