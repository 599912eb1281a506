"""migrate against the real drizzle-orm migrator, eight at once, and killed mid-migration."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import psycopg
import pytest

from tests.helpers.folders import make_folder
from tests.helpers.node import drizzle_migrate, drizzle_rows
from tests.helpers.procs import spawn_migrate, wait_for_query
from tests.test_interop_status import first_n
from tests.test_migrate import rows, tables

pytestmark = pytest.mark.pg


def _fresh(pg_server: str, name: str) -> str:
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return pg_server.rsplit("/", 1)[0] + "/" + name


@pytest.mark.node
def test_rows_identical_to_drizzle_and_drizzle_then_inserts_nothing(
    cli, sample: Path, pg_url: str, pg_server: str
) -> None:
    r = cli("migrate", "--migrations", str(sample), "--database-url", pg_url)
    assert r.returncode == 0, r.stderr
    ours = drizzle_rows(pg_url)
    d = drizzle_migrate(pg_url, sample)
    assert d.returncode == 0, d.stderr
    assert drizzle_rows(pg_url) == ours  # drizzle-orm sees nothing to do
    other = _fresh(pg_server, "drizzle_ref_" + pg_url.rsplit("/", 1)[1])
    try:
        assert drizzle_migrate(other, sample).returncode == 0
        assert drizzle_rows(other) == ours  # same ids, hashes and created_at, byte for byte
        assert len(ours) == 4
    finally:
        with psycopg.connect(pg_server, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{other.rsplit("/", 1)[1]}" WITH (FORCE)')


@pytest.mark.node
def test_after_drizzle_applied_part_we_apply_exactly_the_rest(cli, sample: Path, pg_url: str, tmp_path: Path) -> None:
    assert drizzle_migrate(pg_url, first_n(sample, 2, tmp_path / "two")).returncode == 0
    r = cli("migrate", "--migrations", str(sample), "--database-url", pg_url)
    assert r.returncode == 0, r.stderr
    assert [line.split()[1] for line in r.stdout.splitlines() if line.startswith("✓")] == [
        "0002_partners",
        "0003_today_checklist",
    ]
    assert len(rows(pg_url)) == 4


def test_eight_concurrent_migrators_apply_each_migration_once(sample: Path, pg_url: str) -> None:
    procs = [spawn_migrate(sample, pg_url) for _ in range(8)]
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 8, [e for _, e in results]
    got = rows(pg_url)
    assert len(got) == 4 and len({h for _, h, _ in got}) == 4
    assert sum(out.count("✓") for out, _ in results) == 4


def test_sigkill_mid_migration_leaves_nothing_and_next_run_finishes(cli, tmp_path: Path, pg_url: str) -> None:
    folder = make_folder(
        tmp_path / "m",
        [
            ("first", "CREATE TABLE first_one (id int);"),
            (
                "slow",
                "CREATE TABLE slow_one (id int);\n--> statement-breakpoint\nINSERT INTO slow_one VALUES (1);\n"
                "--> statement-breakpoint\nSELECT pg_sleep(2);",
            ),
        ],
    )
    proc = spawn_migrate(folder, pg_url)
    wait_for_query(pg_url, "pg_sleep(2)")
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    time.sleep(0.3)
    assert tables(pg_url) == {"first_one"}
    assert len(rows(pg_url)) == 1
    r = cli("migrate", "--migrations", str(folder), "--database-url", pg_url)
    assert r.returncode == 0, r.stderr
    assert tables(pg_url) == {"first_one", "slow_one"} and len(rows(pg_url)) == 2


def test_lock_timeout_exits_4_naming_the_holder(cli, sample: Path, pg_url: str) -> None:
    from gtsd_tui.db.lock import lock_key

    with psycopg.connect(pg_url, autocommit=True) as holder:
        holder.execute("SET application_name = 'other-migrator'")
        holder.execute("SELECT pg_advisory_lock(%s)", (lock_key("drizzle", "__drizzle_migrations"),))
        r = cli("migrate", "--migrations", str(sample), "--database-url", pg_url, "--wait", "1")
    assert r.returncode == 4
    assert "other-migrator" in r.stderr and "not acquired in 1s" in r.stderr
    assert tables(pg_url) == set()


def test_lock_key_differs_per_tracking_table(cli, sample: Path, pg_url: str) -> None:
    from gtsd_tui.db.lock import lock_key

    with psycopg.connect(pg_url, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (lock_key("drizzle", "__drizzle_migrations"),))
        r = cli(
            "migrate",
            "--migrations",
            str(sample),
            "--database-url",
            pg_url,
            "--migrations-table",
            "other_proj",
            "--wait",
            "1",
        )
    assert r.returncode == 0, r.stderr


def test_ctrl_c_cancels_the_running_statement_and_rolls_back(tmp_path: Path, pg_url: str) -> None:
    folder = make_folder(
        tmp_path / "m",
        [
            ("slow", "CREATE TABLE slow_two (id int);\n--> statement-breakpoint\nSELECT pg_sleep(60);"),
        ],
    )
    proc = spawn_migrate(folder, pg_url)
    wait_for_query(pg_url, "pg_sleep(60)")
    t0 = time.time()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=20)
    assert time.time() - t0 < 10
    assert proc.returncode == 3 and "57014" in err and "cancel" in err.lower(), err
    assert tables(pg_url) == set() and rows(pg_url) == []


def test_a_cancel_ends_the_wait_for_another_migrators_lock(sample: Path, pg_url: str) -> None:
    """The console's cancel key and a halted fleet rollout call Canceller.cancel from another thread: a
    migrate waiting for another migrator's lock stops waiting (Cancelled, exit 130) instead of waiting
    out ``--wait``, and has written nothing."""
    import threading

    from gtsd_tui.config import load_settings
    from gtsd_tui.db.lock import lock_key
    from gtsd_tui.db.runner import Cancelled
    from gtsd_tui.services.apply import ApplyRequest, LockWaiting, apply, new_canceller
    from gtsd_tui.services.project import Project

    project = Project(load_settings(cwd=sample.parent, database_url=pg_url, migrations=str(sample), environ={}))
    canceller = new_canceller()
    waiting = threading.Event()
    outcome: list[BaseException | None] = []

    def listen(event: object) -> None:
        if isinstance(event, LockWaiting):
            waiting.set()

    def run() -> None:
        try:
            apply(project, ApplyRequest(wait=600), listen, canceller)
            outcome.append(None)
        except BaseException as exc:  # noqa: BLE001 - the test reads what ended the run
            outcome.append(exc)

    with psycopg.connect(pg_url, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (lock_key("drizzle", "__drizzle_migrations"),))
        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        assert waiting.wait(60), "the run never reported waiting for the lock"
        canceller.cancel()
        worker.join(60)
        assert not worker.is_alive(), "the cancel did not end the wait (it would wait out --wait 600)"
    assert len(outcome) == 1 and isinstance(outcome[0], Cancelled), outcome
    assert outcome[0].exit_code == 130 and "waiting for the migration lock" in str(outcome[0])
    assert tables(pg_url) == set()
