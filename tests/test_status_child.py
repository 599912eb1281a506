"""status's database side read by a forked child (services/status_read.py): the same output, byte for
byte, as the in-process read (GTSD_NO_FORK=1), the same one-line errors and exit codes, and no psycopg
in the parent when the drift fingerprint matches."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from gtsd_tui.core.migrations.folder import load_folder

pytestmark = pytest.mark.pg

FORK_OFF = {"GTSD_NO_FORK": "1"}


def _status(cli, folder: Path, url: str, *extra: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return cli("status", *extra, "--migrations", str(folder), "--database-url", url, env=env)


def _applied_project(cli, sample: Path, pg_url: str, *, invalid: bool = True) -> None:  # type: ignore[no-untyped-def]
    """Three of four applied by gtsd-tui migrate, the second file edited since, an INVALID index left by
    a failed CREATE INDEX CONCURRENTLY (and its table: drift): every part of the database side has
    something to say."""
    r = cli("migrate", "--migrations", str(sample), "--database-url", pg_url, "--to", "0002_partners")
    assert r.returncode == 0, r.stderr
    with (sample / "0001_onboarding.sql").open("a") as fh:
        fh.write("\n-- edited after it was applied\n")
    if invalid:
        invalid_index(pg_url)


def invalid_index(url: str) -> None:
    """An INVALID index: a unique one built CONCURRENTLY over duplicate rows fails and stays."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE dup (v int)")
        conn.execute("INSERT INTO dup VALUES (1), (1)")
        with pytest.raises(psycopg.errors.UniqueViolation):
            conn.execute("CREATE UNIQUE INDEX CONCURRENTLY dup_v ON dup (v)")


def test_the_child_read_prints_what_the_in_process_read_prints(cli, sample: Path, pg_url: str) -> None:
    _applied_project(cli, sample, pg_url)
    for extra in (("--json",), ()):
        _status(cli, sample, pg_url, *extra, env=FORK_OFF)  # the drift record written once, for both
        alone = _status(cli, sample, pg_url, *extra, env=FORK_OFF)
        forked = _status(cli, sample, pg_url, *extra)
        assert (forked.returncode, forked.stdout, forked.stderr) == (alone.returncode, alone.stdout, alone.stderr)
    data = json.loads(forked_json := _status(cli, sample, pg_url, "--json").stdout)
    assert [m["state"] for m in data["migrations"]] == ["applied", "modified", "applied", "pending"]
    assert data["invalid_indexes"] == [{"index": "public.dup_v", "migration": None, "file": None}]
    assert data["schema"]["drift"] is True, forked_json


def test_errors_come_back_word_for_word(cli, sample: Path, pg_url: str, tmp_path: Path) -> None:
    refused = "postgresql://nobody@127.0.0.1:1/db"  # nothing listens on port 1
    malformed = "postgresql://u@h:notaport/db"
    for url in (refused, malformed):
        for extra in (("--json",), ()):
            alone = _status(cli, sample, url, *extra, env=FORK_OFF)
            forked = _status(cli, sample, url, *extra)
            assert forked.returncode in (2, 3)
            assert (forked.returncode, forked.stdout, forked.stderr) == (alone.returncode, alone.stdout, alone.stderr)
    # a folder that cannot be read is said first, as before, whatever the database would have said
    (sample / "meta" / "_journal.json").write_text("{ not json")
    for url in (pg_url, refused):
        r = _status(cli, sample, url)
        assert r.returncode == 2 and "_journal.json:1:3: invalid JSON" in r.stderr, r.stderr


def test_the_parent_does_not_import_psycopg_when_the_fingerprint_matches(cli, sample: Path, pg_url: str) -> None:
    _applied_project(cli, sample, pg_url, invalid=False)
    _status(cli, sample, pg_url, "--json")  # records the clean comparison
    probe = (
        "import sys\n"
        "from gtsd_tui.cli import main\n"
        "code = main(sys.argv[1:])\n"
        "print('psycopg' in sys.modules, file=sys.stderr)\n"
        "sys.exit(code)\n"
    )
    args = ["status", "--json", "--migrations", str(sample), "--database-url", pg_url]
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    forked = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, env=env)
    alone = subprocess.run(
        [sys.executable, "-c", probe, *args], capture_output=True, text=True, env={**env, **FORK_OFF}
    )
    assert forked.returncode == alone.returncode == 0, forked.stderr
    assert forked.stdout == alone.stdout
    assert json.loads(forked.stdout)["schema"]["fingerprint_matched"] is True
    assert forked.stderr.strip().splitlines()[-1] == "False"  # the child imported it, not this process
    assert alone.stderr.strip().splitlines()[-1] == "True"
    assert len(load_folder(sample).migrations) == 4


def test_a_usage_error_after_the_early_child_started_is_worded_as_before(cli, sample: Path, pg_url: str) -> None:
    """The command line forks status's child before the full parse: a bad option still ends in the
    parser's usage error (the child killed and reaped), the same with the child off."""
    args = ("status", "--json", "--no-such-option", "--migrations", str(sample), "--database-url", pg_url)
    forked = cli(*args)
    alone = cli(*args, env=FORK_OFF)
    assert forked.returncode == alone.returncode == 2
    assert (forked.stdout, forked.stderr) == (alone.stdout, alone.stderr)
    assert "unrecognized arguments: --no-such-option" in forked.stderr
