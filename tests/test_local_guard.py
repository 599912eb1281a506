"""reset / forget refuse any non-local endpoint libpq could dial, checked inside an empty network
namespace (``unshare -n``) so that a regression cannot send traffic anywhere: it would fail to
connect (exit 3) instead of being refused (exit 2)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REMOTE = "192.0.2.10"  # TEST-NET-1: never routed; and the namespace has no route at all


def _unshare_works() -> bool:
    if not shutil.which("unshare"):
        return False
    return subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0


needs_netns = pytest.mark.skipif(not _unshare_works(), reason="unshare -n needs root (CI runs as root)")


def run_isolated(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("PG") and k != "DATABASE_URL"}
    return subprocess.run(
        ["unshare", "-n", sys.executable, "-m", "gtsd_tui", *args],
        env={**base, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def _cases(tmp: Path) -> list[tuple[str, str, dict[str, str]]]:
    (tmp / "user.conf").write_text(f"# mine\n[prod]\nhost={REMOTE}\ndbname=app\n\n[dev]\nhost=/tmp\n")
    sysconf = tmp / "sysconf"
    sysconf.mkdir()
    (sysconf / "pg_service.conf").write_text(f"[shared]\nhostaddr={REMOTE}\nhost=localhost\n")
    home = tmp / "home"
    home.mkdir()
    (home / ".pg_service.conf").write_text(f"[homesvc]\nhost=127.0.0.1,{REMOTE}\nport=5432\n")
    return [
        ("url-hostaddr", f"postgresql://u:pw@127.0.0.1:5432/db?hostaddr={REMOTE}", {}),
        ("kv-hostaddr", f"host=127.0.0.1 hostaddr={REMOTE} dbname=db password=pw", {}),
        ("PGHOSTADDR", "postgresql://u@127.0.0.1:5432/db", {"PGHOSTADDR": REMOTE}),
        ("PGHOST", "postgresql://u@/db", {"PGHOST": REMOTE}),
        ("PGSERVICE", "postgresql://u@/db", {"PGSERVICE": "prod", "PGSERVICEFILE": str(tmp / "user.conf")}),
        ("service=-in-url", "service=shared dbname=db", {"PGSYSCONFDIR": str(sysconf)}),
        ("~/.pg_service.conf", "postgresql:///db?service=homesvc", {"HOME": str(home)}),
        ("multi-host", f"postgresql://u@localhost,{REMOTE}:5432,5433/db", {}),
        ("multi-hostaddr", f"host=a,b hostaddr=127.0.0.1,{REMOTE} dbname=db", {}),
        ("undefined-service", "service=nowhere dbname=db", {"PGSERVICEFILE": str(tmp / "user.conf")}),
    ]


@needs_netns
@pytest.mark.parametrize("command", ["reset", "forget"])
def test_non_local_endpoints_are_refused_without_traffic(command: str, sample: Path, tmp_path: Path) -> None:
    for name, url, env in _cases(tmp_path):
        extra = ["0001_onboarding"] if command == "forget" else []
        r = run_isolated([command, *extra, "--yes", "--migrations", str(sample), "--database-url", url], env, tmp_path)
        assert r.returncode == 2, (name, r.stderr)
        assert f"{command} refused" in r.stderr, (name, r.stderr)
        assert REMOTE in r.stderr or "nowhere" in r.stderr, (name, r.stderr)
        assert "pw" not in r.stderr.replace("pwd", ""), (name, r.stderr)


@needs_netns
def test_refusal_names_where_the_address_came_from(sample: Path, tmp_path: Path) -> None:
    r = run_isolated(
        ["reset", "--yes", "--migrations", str(sample), "--database-url", "postgresql://u@127.0.0.1/db"],
        {"PGHOSTADDR": REMOTE},
        tmp_path,
    )
    assert r.returncode == 2 and f"{REMOTE} is not a local server (hostaddr from PGHOSTADDR" in r.stderr


def test_local_endpoints_pass(tmp_path: Path) -> None:
    from gtsd_tui.core.fleets.libpq_targets import is_local_address, resolve

    (tmp_path / "s.conf").write_text("[dev]\nhost=/var/run/postgresql\n")
    cases = [
        ({"host": "127.0.0.1", "hostaddr": "127.0.0.1"}, {}),
        ({"host": "db.example.invalid", "hostaddr": "127.0.0.2"}, {}),
        ({"host": "localhost,/tmp,::1"}, {}),
        ({}, {}),
        ({"service": "dev"}, {"PGSERVICEFILE": str(tmp_path / "s.conf")}),
        ({"host": "127.0.0.1"}, {"PGHOST": REMOTE}),  # the URL's host wins over the environment
    ]
    for params, env in cases:
        res = resolve(params, env, home=str(tmp_path))
        assert res.problem is None and all(e.local for e in res.endpoints), (params, env, res)
    assert not is_local_address("localhost.example.invalid") and is_local_address("::ffff:127.0.0.1")
    assert not is_local_address("0.0.0.0") and is_local_address("@abstract")


@pytest.mark.pg
def test_forget_with_a_loopback_hostaddr_reaches_the_database(cli, sample: Path, pg_url: str) -> None:
    url = pg_url + "?hostaddr=127.0.0.1"
    r = cli("forget", "0001_onboarding", "--yes", "--migrations", str(sample), "--database-url", url)
    assert r.returncode == 1 and "nothing to forget" in r.stdout, r.stderr
