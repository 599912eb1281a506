"""fleet's refusals before any connection, its failures without passwords, --fail-fast, its live display."""

from __future__ import annotations

import io
import json
import shutil
import uuid
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from tests.conftest import PW_ROLE, PW_SECRET
from tests.helpers.fleet import create_databases, drop_databases, five_migrations, tags
from tests.helpers.procs import default_signals


def _no_connect(monkeypatch) -> None:
    import gtsd_tui.db.connect

    def refuse(*args, **kwargs):
        raise AssertionError("a connection was attempted")

    monkeypatch.setattr(psycopg, "connect", refuse)
    monkeypatch.setattr(gtsd_tui.db.connect.psycopg, "connect", refuse)


@pytest.mark.node
def test_input_errors_are_refused_before_any_connection(monkeypatch, capsys, tmp_path: Path) -> None:
    from gtsd_tui.cli import main

    folder = tmp_path / "migrations"
    shutil.copytree(five_migrations(), folder)
    _no_connect(monkeypatch)
    targets = tmp_path / "targets.txt"
    good = f"postgresql://{PW_ROLE}:{PW_SECRET}@db.invalid/a"
    targets.write_text(f"{good}\nb=postgresql://{PW_ROLE}:{PW_SECRET}@db.invalid/b?nosuch=1\n")
    base = ["fleet", "migrate", "--migrations", str(folder), "--targets", str(targets)]
    assert main(base) == 2
    err = capsys.readouterr().err
    assert f"{targets}:2: b:" in err and "malformed" in err and PW_SECRET not in err
    targets.write_text(f"{good}\n{good}\n")
    assert main(base) == 2 and f"{targets}:2: " in capsys.readouterr().err
    targets.write_text(f"{good}\n")
    sql_file = folder / f"{tags(folder)[2]}.sql"
    sql_file.unlink()  # a journal entry without its file: drizzle-orm refuses the whole folder
    assert main(base) == 2 and "missing" in capsys.readouterr().err
    like = ["fleet", "migrate", "--migrations", str(folder), "--databases-like", "t%", "--database-url", good]
    assert main(like) == 2  # the folder is refused before pg_database is read
    assert main(["fleet", "status", "--targets", str(targets), "--jobs", "0", "--migrations", str(folder)]) == 2
    with pytest.raises(SystemExit) as exited:  # argparse: --targets or --databases-like is required
        main(["fleet", "migrate", "--migrations", str(folder)])
    assert exited.value.code == 2
    assert PW_SECRET not in capsys.readouterr().err


@pytest.mark.pg
@pytest.mark.node
def test_failures_name_the_target_never_the_password(cli, pg_server: str, tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    shutil.copytree(five_migrations(), folder)
    name = f"fleetpw_{uuid.uuid4().hex[:6]}"
    create_databases(pg_server, [name])
    try:
        with psycopg.connect(pg_server, autocommit=True) as conn:
            conn.execute(sql.SQL("ALTER DATABASE {} OWNER TO {}").format(sql.Identifier(name), sql.Identifier(PW_ROLE)))
        port = pg_server.rsplit(":", 1)[1].split("/", 1)[0]
        targets = tmp_path / "targets.txt"
        targets.write_text(
            f"good=postgresql://{PW_ROLE}:{PW_SECRET}@127.0.0.1:{port}/{name}\n"
            f"down=postgresql://{PW_ROLE}:{PW_SECRET}@127.0.0.1:1/x\n"
            f"wrongpw=postgresql://{PW_ROLE}:{PW_SECRET}x@127.0.0.1:{port}/postgres\n"
        )
        args = ("fleet", "migrate", "--targets", str(targets), "--migrations", str(folder), "--jobs", "3")
        r = cli(*args, "--json")
        assert r.returncode == 3, r.stderr
        out = {t["name"]: t for t in json.loads(r.stdout)["targets"]}
        assert out["good"]["ok"] and len(out["good"]["applied"]) == 5
        assert "refused" in out["down"]["error"]["summary"] and "password" in out["wrongpw"]["error"]["summary"]
        assert out["down"]["failed_migration"] is None
        r2 = cli(*args)  # text: the table, then the lines; the good one has nothing left to apply
        assert r2.returncode == 3 and "1 ok, 2 failed" in r2.stdout
        for text in (r.stdout, r.stderr, r2.stdout, r2.stderr):
            assert PW_SECRET not in text
    finally:
        drop_databases(pg_server, [name])


@pytest.mark.pg
@pytest.mark.node
def test_fail_fast_starts_no_other_target(cli, pg_server: str, tmp_path: Path) -> None:
    folder = five_migrations()
    names = [f"fleetff_{uuid.uuid4().hex[:6]}_{i}" for i in range(2)]
    urls = create_databases(pg_server, names)
    try:
        targets = tmp_path / "targets.txt"
        targets.write_text("down=postgresql://u@127.0.0.1:1/x\n" + "\n".join(urls) + "\n")
        base = ("fleet", "migrate", "--targets", str(targets), "--migrations", str(folder), "--jobs", "1", "--json")
        out = json.loads(cli(*base, "--fail-fast").stdout)
        assert [(t["ok"], t["started"]) for t in out["targets"]] == [(False, True), (False, False), (False, False)]
        assert out["not_started"] == 2 and out["exit_code"] == 3
        for url in urls:
            with psycopg.connect(url) as conn:
                assert conn.execute("SELECT to_regclass('drizzle.__drizzle_migrations')").fetchone() == (None,)
        out = json.loads(cli(*base).stdout)  # without it, the others go on
        assert [t["ok"] for t in out["targets"]] == [False, True, True]
    finally:
        drop_databases(pg_server, names)


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_live_display_redraws_on_a_terminal_and_prints_lines_elsewhere(monkeypatch) -> None:
    from gtsd_tui.commands.fleet_progress import FleetPrinter
    from gtsd_tui.core.fleets.fleet import TargetResult
    from gtsd_tui.services.apply import StepStarted
    from gtsd_tui.services.fleet import TargetFinished, TargetProgress, TargetStarted

    events = [
        TargetStarted("a"),
        TargetStarted("b"),
        TargetProgress("a", StepStarted("0001_x", 1, 3)),
        TargetFinished(TargetResult("b", "u", "s", (("0000_y", 0.1),))),
        TargetFinished(TargetResult("a", "u", "s", (), None, None, 0.2, started=False)),
    ]
    monkeypatch.setenv("NO_COLOR", "1")
    tty = _Tty()
    printer = FleetPrinter(["a", "b"], stream=tty)
    printer.every = 0  # every event redraws (a real terminal gets at most ten redraws a second)
    for e in events:
        printer.handle(e)
    printer.close()
    shown = tty.getvalue()
    assert "2/3 0001_x" in shown and "0/2 done, 2 running" in shown and "1/2 done, 1 running" in shown
    assert "\x1b[" in shown and "✓ b  1 applied" in shown and "- a  never started" in shown
    plain = io.StringIO()
    printer = FleetPrinter(["a", "b"], stream=plain)
    for e in events:
        printer.handle(e)
    assert "\x1b" not in plain.getvalue() and plain.getvalue().splitlines() == [
        "✓ b  1 applied  0.00s",
        "- a  never started",
    ]


@pytest.mark.pg
def test_ctrl_c_rolls_back_the_running_migrations_and_starts_nothing_more(pg_server: str, tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys

    from tests.helpers.folders import make_folder

    folder = make_folder(
        tmp_path / "m",
        [
            ("first", "CREATE TABLE first_one (id int);"),
            ("slow", "CREATE TABLE slow_one (id int);\n--> statement-breakpoint\nSELECT pg_sleep(30);"),
        ],
    )
    names = [f"fleetint_{uuid.uuid4().hex[:6]}_{i}" for i in range(3)]
    urls = create_databases(pg_server, names)
    try:
        targets = tmp_path / "targets.txt"
        targets.write_text("\n".join(urls) + "\n")
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        cmd = [sys.executable, "-m", "gtsd_tui", "fleet", "migrate", "--targets", str(targets)]
        proc = subprocess.Popen(
            [*cmd, "--migrations", str(folder), "--jobs", "2", "--json"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=default_signals,
        )  # fmt: skip
        _wait_sleeping(pg_server, names[:2])  # both running targets are inside the slow migration
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
        assert proc.returncode == 3, err  # as migrate's Ctrl-C: the statement was cancelled on the server
        got = json.loads(out)["targets"]
        assert [(t["started"], t["ok"]) for t in got] == [(True, False), (True, False), (False, False)]
        for t in got[:2]:
            assert t["failed_migration"] == "0001_slow" and t["error"]["sqlstate"] == "57014"
            assert [a["tag"] for a in t["applied"]] == ["0000_first"]
        for url in urls[:2]:
            with psycopg.connect(url) as conn:
                assert conn.execute("SELECT to_regclass('slow_one')").fetchone() == (None,)  # rolled back
                assert conn.execute("SELECT count(*) FROM drizzle.__drizzle_migrations").fetchone() == (1,)
    finally:
        drop_databases(pg_server, names)


def _wait_sleeping(admin: str, dbnames: list[str], timeout: float = 30) -> None:
    import time

    deadline = time.time() + timeout
    with psycopg.connect(admin, autocommit=True) as conn:
        while time.time() < deadline:
            row = conn.execute(
                "SELECT count(DISTINCT datname) FROM pg_stat_activity WHERE query LIKE '%%pg_sleep(30)%%' "
                "AND pid <> pg_backend_pid() AND datname = ANY(%s)",
                (dbnames,),
            ).fetchone()
            if row and row[0] == len(dbnames):
                return
            time.sleep(0.02)
    raise AssertionError(f"{dbnames} did not all reach the slow migration within {timeout}s")
