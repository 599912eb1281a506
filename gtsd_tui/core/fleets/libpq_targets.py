"""Where a connection will go, decided without any network access (for the local-only guards).

libpq takes each setting from the connection string, else from the service file group named by
``service`` / ``PGSERVICE``, else from its environment variable. It dials ``hostaddr`` when one is
given (``host`` then only names the server for TLS and passwords), and tries each entry of a
comma-separated list in turn. psycopg splits the list itself and reads ``host`` / ``hostaddr``
from the connection string and the environment but not from the service file, then hands libpq a
``hostaddr`` of its own. Both readings are taken and every endpoint either of them could dial is
listed, so a guard that wants every endpoint local errs on the side of refusing.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

ENV = {
    "host": "PGHOST",
    "hostaddr": "PGHOSTADDR",
    "port": "PGPORT",
    "dbname": "PGDATABASE",
    "user": "PGUSER",
    "sslmode": "PGSSLMODE",
    "service": "PGSERVICE",
}
# Where a libpq build looks for pg_service.conf when PGSYSCONFDIR is unset (its compiled-in
# sysconfdir: /etc/postgresql-common in psycopg's wheels and Debian's libpq). Unknown builds may use
# another, so a service found in none of these is refused rather than guessed.
SYSCONF_DIRS = (
    "/etc/postgresql-common",
    "/etc/postgresql",
    "/usr/local/pgsql/etc",
    "/usr/local/etc",
    "/usr/local/etc/postgresql",
    "/opt/homebrew/etc",
    "/etc/sysconfig/pgsql",
    "/etc",
)


@dataclass(frozen=True)
class Endpoint:
    address: str  # what is dialled: an IP address, a host name, a socket directory; "" = default socket
    source: str  # where that value came from, for the message

    @property
    def local(self) -> bool:
        return is_local_address(self.address)


@dataclass
class Resolution:
    endpoints: list[Endpoint] = field(default_factory=list)
    dbname: str = ""
    sslmode: str = ""  # as the connection string says (not PGSSLMODE, often set for every server)
    problem: str | None = None  # where it goes cannot be told (the connection would fail, or use LDAP)


def is_local_address(address: str) -> bool:
    """A unix socket (default, a directory, an abstract ``@name``), ``localhost``, 127.0.0.0/8 or ::1."""
    a = address.strip()
    if not a or a.startswith(("/", "@")) or a.lower() == "localhost":
        return True
    try:
        ip = ipaddress.ip_address(a.strip("[]"))
    except ValueError:
        return False  # a host name: resolving it would already be traffic
    mapped = getattr(ip, "ipv4_mapped", None)
    return bool(ip.is_loopback or (mapped is not None and mapped.is_loopback))


def _service_groups(name: str, environ: Mapping[str, str], home: str) -> tuple[list[tuple[str, dict[str, str]]], str]:
    """The groups ``[name]`` libpq could read: the user's file if it has one, else the system files."""
    user_file = environ.get("PGSERVICEFILE") or os.path.join(home, ".pg_service.conf")
    looked = [user_file]
    group = _read_group(user_file, name)
    if group is not None:
        return [(user_file, group)], ""
    dirs = [environ["PGSYSCONFDIR"]] if environ.get("PGSYSCONFDIR") else list(SYSCONF_DIRS)
    found = []
    for d in dirs:
        path = os.path.join(d, "pg_service.conf")
        looked.append(path)
        group = _read_group(path, name)
        if group is not None:
            found.append((path, group))
    return found, ", ".join(looked)


class ServiceFileError(ValueError):
    pass


def _read_group(path: str, name: str) -> dict[str, str] | None:
    """The settings of ``[name]`` as libpq reads them (first value of a key wins), or None."""
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as fh:
            lines = fh.read().splitlines()
    except OSError:
        return None
    values: dict[str, str] | None = None
    for lineno, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            if values is not None:
                break
            if line[1 : len(name) + 2] == name + "]":
                values = {}
            continue
        if values is None:
            continue
        if line.startswith("ldap"):
            raise ServiceFileError(f"{path}:{lineno}: service {name!r} is looked up in LDAP")
        key, sep, value = line.partition("=")
        if not sep:
            raise ServiceFileError(f"{path}:{lineno}: syntax error in service file")
        if key in ("service", "servicefile"):
            raise ServiceFileError(f"{path}:{lineno}: nested service specifications are not supported")
        values.setdefault(key, value)
    return values


def _endpoints(host: tuple[str, str] | None, hostaddr: tuple[str, str] | None) -> list[Endpoint] | str:
    hosts = host[0].split(",") if host and host[0] else []
    addrs = hostaddr[0].split(",") if hostaddr and hostaddr[0] else []
    if hosts and addrs and len(hosts) != len(addrs):
        return f"{len(hosts)} host names and {len(addrs)} hostaddr values do not match"
    n = max(len(hosts), len(addrs))
    if n == 0:
        return [Endpoint("", "no host: the default unix socket")]
    out = []
    for i in range(n):
        if addrs and addrs[i].strip():
            assert hostaddr is not None
            out.append(Endpoint(addrs[i].strip(), f"hostaddr {hostaddr[1]}"))
        elif hosts:
            assert host is not None
            out.append(Endpoint(hosts[i].strip(), f"host {host[1]}"))
        else:
            out.append(Endpoint("", "empty hostaddr: the default unix socket"))
    return out


def resolve(params: Mapping[str, str], environ: Mapping[str, str], home: str | None = None) -> Resolution:
    """Every endpoint libpq or psycopg could dial for these parsed connection settings."""
    home = home if home is not None else environ.get("HOME") or os.path.expanduser("~")
    res = Resolution()
    service_name = params.get("service") or environ.get("PGSERVICE") or ""
    service: dict[str, str] = {}
    service_label = ""
    if service_name:
        try:
            groups, looked = _service_groups(service_name, environ, home)
        except ServiceFileError as exc:
            res.problem = str(exc)
            return res
        if not groups:
            res.problem = f"service {service_name!r} is not defined in {looked}"
            return res
        for _path, group in groups:  # several candidate system files: keep every value they offer
            for key, value in group.items():
                service[key] = f"{service[key]},{value}" if key in service and key in ("host", "hostaddr") else value
        service_label = f"in service {service_name!r} ({', '.join(p for p, _ in groups)})"

    def pick(key: str, *, with_service: bool) -> tuple[str, str] | None:
        if params.get(key):
            return params[key], "in the connection string"
        if with_service and service.get(key):
            return service[key], service_label
        env = ENV.get(key)
        if env and environ.get(env):
            return environ[env], f"from {env}"
        return None

    seen: set[Endpoint] = set()
    for with_service in (True, False):  # libpq's reading, then psycopg's
        found = _endpoints(pick("host", with_service=with_service), pick("hostaddr", with_service=with_service))
        if isinstance(found, str):
            res.problem = found
            return res
        for e in found:
            if e not in seen:
                seen.add(e)
                res.endpoints.append(e)
    db = pick("dbname", with_service=True) or pick("user", with_service=True)
    res.dbname = db[0] if db else ""
    res.sslmode = params.get("sslmode", "")  # the URL's own word (the guard's hint of a remote server)
    return res
