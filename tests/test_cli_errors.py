"""Bad input: one line naming the file or the masked URL, the documented exit code, no traceback."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.conftest import PW_ROLE, PW_SECRET
from tests.helpers.conflict import conflict_text


def _one_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.startswith("gtsd-tui:")]
    assert "Traceback" not in err
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.pg
def test_invalid_json_journal(cli, sample: Path, pg_url: str) -> None:
    (sample / "meta/_journal.json").write_text('{"version": "7", "entries": [,]}')
    r = cli("status", "--migrations", str(sample), "--database-url", pg_url)
    assert r.returncode == 2
    line = _one_line(r.stderr)
    assert "_journal.json:1:" in line and "invalid JSON" in line


@pytest.mark.pg
def test_journal_with_conflict_markers(cli, sample: Path, pg_url: str) -> None:
    ours = (sample / "meta/_journal.json").read_text()
    theirs = ours.replace("0003_today_checklist", "0003_other_branch")
    (sample / "meta/_journal.json").write_text(conflict_text(ours, theirs))
    r = cli("status", "--migrations", str(sample), "--database-url", pg_url)
    assert r.returncode == 2, r.stderr
    line = _one_line(r.stderr)
    assert "_journal.json:" in line and "conflict markers" in line
    assert "0003_today_checklist" in r.stdout  # both sides are still shown


@pytest.mark.pg
def test_non_utf8_sql(cli, sample: Path, pg_url: str) -> None:
    (sample / "0002_partners.sql").write_bytes(b"SELECT 'caf\xe9';")
    r = cli("status", "--migrations", str(sample), "--database-url", pg_url)
    assert r.returncode == 2
    line = _one_line(r.stderr)
    assert "0002_partners.sql" in line and "not valid UTF-8 at byte 11" in line


def test_empty_and_missing_folder(cli, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    for folder in ("empty", "nope"):
        r = cli("status", "--migrations", str(tmp_path / folder), "--database-url", "postgresql://x@127.0.0.1:1/x")
        assert r.returncode == 2
        assert str(tmp_path / folder) in _one_line(r.stderr)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unreachable_server_masks_the_password(cli, sample: Path) -> None:
    url = f"postgresql://app:hunter2@127.0.0.1:{_closed_port()}/gtsd"
    r = cli("status", "--migrations", str(sample), "--database-url", url, "--json")
    assert r.returncode == 3
    line = _one_line(r.stderr)
    assert "postgresql://app:***@127.0.0.1" in line and "hunter2" not in r.stderr + r.stdout


@pytest.mark.pg
def test_wrong_password(cli, sample: Path, pg_url: str) -> None:
    host_port = pg_url.split("@", 1)[1].split("/", 1)[0]
    url = f"postgresql://{PW_ROLE}:not-{PW_SECRET}@{host_port}/postgres"
    r = cli("status", "--migrations", str(sample), "--database-url", url)
    assert r.returncode == 3
    line = _one_line(r.stderr)
    assert "password authentication failed" in line and f"{PW_ROLE}:***@" in line
    assert line.endswith("(fix the user or password in --database-url)")  # as the console's line says
    assert PW_SECRET not in r.stderr + r.stdout


@pytest.mark.pg
def test_missing_database_names_reset(cli, sample: Path, pg_url: str) -> None:
    r = cli("status", "--migrations", str(sample), "--database-url", pg_url + "_absent")
    assert r.returncode == 3
    line = _one_line(r.stderr)
    assert "does not exist" in line and line.endswith("(`gtsd-tui reset` creates it and applies every migration)")


def test_usage_error_is_exit_2(cli) -> None:
    r = cli("status", "--no-such-flag")
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_project_options_work_before_the_subcommand(cli, sample: Path) -> None:
    url = f"postgresql://app:hunter2@127.0.0.1:{_closed_port()}/gtsd"
    r = cli("--database-url", url, "--migrations", str(sample), "status")
    assert r.returncode == 3 and "app:***@127.0.0.1" in _one_line(r.stderr)


def test_the_console_parses_its_arguments_without_the_subcommands() -> None:
    """No subcommand named: the console's options alone, no subcommand module imported (start-up time);
    a subcommand, help or an unknown option: the full parser, its errors as before."""
    import subprocess
    import sys

    code = (
        "import sys; from gtsd_tui.cli import _console_args as c; a = c(['--read-only', '--migrations', 'm']); "
        "print(a.command, a.read_only, a.migrations, any(m.startswith('gtsd_tui.commands.') for m in sys.modules), "
        "c(['status']), c(['--help']), c(['--nope']))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["None", "True", "m", "False", "None", "None", "None"]
    r = subprocess.run([sys.executable, "-m", "gtsd_tui", "--nope"], capture_output=True, text=True)
    assert r.returncode == 2 and "unrecognized arguments: --nope" in _one_line(r.stderr)
