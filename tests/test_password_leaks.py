"""No password on any path: malformed URLs (libpq echoes the bad part, password included) through
every command, from the flag and from .env; and no password on a pg_dump / psql command line."""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path

import pytest

from tests.conftest import PW_ROLE, PW_SECRET

SECRET = "Sup3rSecretPw"
MALFORMED = [
    f"postgresql://app:{SECRET}%zz@127.0.0.1:5432/gtsd",  # bad percent-encoding
    f"postgresql://app:{SECRET}%00@127.0.0.1:5432/gtsd",  # %00 is forbidden
    f"postgresql://app:{SECRET}@[::1/gtsd",  # broken IPv6 literal: libpq quotes the whole URL
    f"postgresql://app:{SECRET}%40x@[::1:5432/gtsd",  # the same, with an encoded '@' in the password
]
COMMANDS = [
    ("status",),
    ("migrate",),
    ("migrate", "--dry-run"),
    ("health",),
    ("check",),
    ("stats",),
    ("reset", "--yes"),
    ("reset", "--yes", "--to", "0001_onboarding"),
    ("branches",),
    ("branches", "--prune", "--yes"),
    ("forget", "0001_onboarding", "--yes"),
    ("backup",),
    ("restore", "backup.sql"),
]


class Run:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.returncode, self.stdout, self.stderr = code, out, err


def _main(capsys, *args: str) -> Run:
    """The real CLI entry point, in-process (the matrix is large; a process start costs a second here)."""
    from gtsd_tui.cli import main

    code = main(list(args))
    captured = capsys.readouterr()
    return Run(code, captured.out, captured.err)


def _assert_clean(r, what) -> None:
    out = r.stdout + r.stderr
    for form in (SECRET, "Sup3rSecret", f"{SECRET}@x"):
        assert form not in out, (what, out)
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr, (what, r.stderr)
    assert r.returncode == 2, (what, r.returncode, r.stderr)
    if "--json" in what and r.stdout.strip():
        data = json.loads(r.stdout.strip().splitlines()[-1])
        assert SECRET not in json.dumps(data) and data["exit_code"] == 2, (what, data)


@pytest.mark.parametrize("url", MALFORMED)
def test_malformed_url_from_the_flag(capsys, monkeypatch, sample: Path, tmp_path: Path, url: str) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "backup.sql").write_text("SELECT 1;\n")
    for cmd in COMMANDS:
        args = [*cmd, "--json", "--migrations", str(sample), "--database-url", url]
        r = _main(capsys, *args)
        _assert_clean(r, args)
        assert "is malformed" in r.stderr and "app:***@" in r.stderr, (args, r.stderr)


@pytest.mark.parametrize("url", MALFORMED[::2])
def test_malformed_url_from_dotenv(cli, sample: Path, tmp_path: Path, url: str) -> None:
    """As separate processes, the way a user runs it, with the URL only in .env."""
    (tmp_path / "backup.sql").write_text("SELECT 1;\n")
    (tmp_path / ".env").write_text(f"DATABASE_URL={url}\n")
    for cmd in COMMANDS:
        args = [*cmd, "--json", "--migrations", str(sample)]
        r = cli(*args, cwd=tmp_path)
        _assert_clean(r, args)
        assert "DATABASE_URL in .env" in r.stderr, (args, r.stderr)


def _recorder(bindir: Path, real: Path, log: Path) -> None:
    """pg_dump / psql stand-ins that record their argv and environment, then run the real tool."""
    for name in ("pg_dump", "psql"):
        script = bindir / name
        script.write_text(
            "#!/bin/sh\n"
            f'printf "%s\\n" "{name}" "$@" >> "{log}"\n'
            f'[ -n "$PGPASSWORD" ] && echo "PGPASSWORD set" >> "{log}"\n'
            f'[ -n "$PGSERVICEFILE" ] && echo "PGSERVICEFILE set" >> "{log}"\n'
            f'exec "{real / name}" "$@"\n'
        )
        script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


SSL_SECRET = "k3y-Pass"


@pytest.mark.pg
@pytest.mark.parametrize("query", ["", f"?sslmode=disable&sslpassword={SSL_SECRET}"], ids=["password", "sslpassword"])
def test_backup_and_restore_keep_the_password_off_the_command_line(
    cli, pg_url: str, tmp_path: Path, query: str
) -> None:
    """The password travels as PGPASSWORD; an sslpassword (no libpq variable exists for it) through a
    private service file that libpq really reads (an unknown service would fail the connection)."""
    from gtsd_tui.db.pg_binaries import client_bindir

    # the real tools of the server's major (an 18 pg_dump writes settings a 15 server refuses on restore)
    real = client_bindir(pg_url) or (Path(p).parent if (p := shutil.which("pg_dump")) else None)
    if real is None or not (real / "psql").exists():
        pytest.skip("no pg_dump/psql binaries")
    bindir, log = tmp_path / "bin", tmp_path / "argv.log"
    bindir.mkdir()
    _recorder(bindir, real, log)
    host_port, dbname = pg_url.split("@", 1)[1].split("/", 1)
    url = f"postgresql://{PW_ROLE}:{PW_SECRET}@{host_port}/{dbname}{query}"  # scram over TCP: the password is needed
    env = {"GTSD_PG_BINDIR": str(bindir), "PGPASSWORD": ""}
    r = cli("backup", "dump.sql", "--database-url", url, cwd=tmp_path, env=env)
    assert r.returncode == 0, r.stderr
    r = cli("restore", "dump.sql", "--database-url", url, cwd=tmp_path, env=env)
    assert r.returncode == 0, r.stderr
    recorded = log.read_text()
    assert "pg_dump" in recorded and "psql" in recorded and recorded.count("PGPASSWORD set") == 2
    assert PW_SECRET not in recorded and SSL_SECRET not in recorded, recorded
    assert recorded.count("PGSERVICEFILE set") == (2 if query else 0)
    out = r.stdout + r.stderr
    assert PW_SECRET not in out and SSL_SECRET not in out and os.path.getsize(tmp_path / "dump.sql") > 0


def test_mask_and_scrub_of_malformed_urls() -> None:
    from gtsd_tui.config import mask_url, scrub

    assert mask_url("postgresql://u:pa/ss#w@rd@host/db") == "postgresql://u:***@host/db"
    assert mask_url("postgresql://u@[::1]:5432/db?x=a@b") == "postgresql://u@[::1]:5432/db?x=a@b"
    assert mask_url("host=h password='a b c") == "host=h password=***"
    # a short password is removed where it stands alone, not from every word holding its letters
    url = "postgresql://u:p@prod-db.invalid/gtsd"
    assert scrub('prod-db.invalid: bad token "p"', url) == 'prod-db.invalid: bad token "***"'


@pytest.mark.parametrize("url", MALFORMED[::2])
def test_the_console_refuses_a_malformed_url_with_one_line_and_exit_2(
    cli, sample: Path, tmp_path: Path, url: str
) -> None:
    """The console (no subcommand), as a user starts it, URL only in .env: no retrying 'disconnected'
    screen for a URL no retry can fix, but one line naming where the URL came from, exit 2."""
    (tmp_path / ".env").write_text(f"DATABASE_URL={url}\n")
    r = cli("--migrations", str(sample), cwd=tmp_path, env={"GTSD_TUI_HEADLESS": "1"}, timeout=60)
    _assert_clean(r, ["console"])
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "DATABASE_URL in .env" in lines[0] and "is malformed" in lines[0], r.stderr
