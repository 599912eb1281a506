"""Staged rollouts of ``fleet migrate`` on 12 real databases: canary, waves, the halt policy, the record,
``fleet status`` reading it, SIGKILL and SIGTERM of a real ``gtsd-tui fleet migrate`` then ``--resume``.

The folder is the five-step project made with the real ``drizzle-kit generate``; a "broken" target
already holds a ``projects`` table, so 0001_projects fails there (42P07) as production-only data would.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from gtsd_tui.db.lock import lock_key
from gtsd_tui.services.rollout_record import read_record
from tests.helpers.fleet import create_databases, drop_databases, five_migrations, tags, tracking_rows
from tests.helpers.node import drizzle_rows

pytestmark = [pytest.mark.pg, pytest.mark.node]

N = 12


@dataclass
class Fleet:
    folder: Path
    targets: Path
    urls: list[str]
    dbnames: list[str]

    @property
    def record(self) -> Path:
        return self.targets.with_name(self.targets.name + ".rollout.jsonl")

    def args(self, *extra: str) -> tuple[str, ...]:
        return ("fleet", "migrate", "--targets", str(self.targets), "--migrations", str(self.folder), *extra)

    def states(self) -> dict[str, str]:
        st = read_record(self.record)
        assert st is not None
        return {n: t.state for n, t in st.targets.items()}

    def state_now(self, name: str) -> str | None:
        """While a rollout runs: ``name``'s state, None before the record has its header."""
        st = read_record(self.record) if self.record.exists() else None
        return st.targets[name].state if st is not None else None


@pytest.fixture
def fleet(pg_server: str, tmp_path: Path) -> Iterator[Fleet]:
    names = [f"roll_{uuid.uuid4().hex[:6]}_{i:02d}" for i in range(N)]
    urls = create_databases(pg_server, names)
    targets = tmp_path / "targets.txt"
    targets.write_text("".join(f"t{i:02d}={u}\n" for i, u in enumerate(urls)))
    yield Fleet(five_migrations(), targets, urls, names)
    drop_databases(pg_server, names)


def _break(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE projects (id int)")  # 0001_projects fails here: 42P07


def _fix(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE projects")


def _tracked(url: str) -> bool:
    """Whether gtsd-tui (or drizzle) ever ran here: the tracking table exists."""
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT to_regclass('drizzle.__drizzle_migrations')").fetchone()
        return row is not None and row[0] is not None


def _json(r: subprocess.CompletedProcess[str]) -> dict:
    return json.loads(r.stdout)


def test_a_failed_canary_leaves_the_others_untouched_then_the_same_command_completes(cli, fleet: Fleet) -> None:
    _break(fleet.urls[0])
    cmd = fleet.args("--canary", "1", "--waves", "50%,100%", "--jobs", "4", "--json")
    r = cli(*cmd)
    assert r.returncode == 3, r.stderr
    out = _json(r)
    assert [t["state"] for t in out["targets"]] == ["failed"] + ["not_started"] * (N - 1)
    assert out["rollout"]["outcome"] == "halted" and "canary t00 failed" in out["rollout"]["reason"]
    assert out["rollout"]["waves"] == 3 and out["rollout"]["waves_run"] == 1
    assert not any(_tracked(u) for u in fleet.urls[1:])  # not one connection wrote to the others
    st = read_record(fleet.record)
    assert st is not None and st.outcome == "halted"
    canary = st.targets["t00"]
    tag1 = tags(fleet.folder)[1]
    assert canary.state == "failed" and canary.applied == [tags(fleet.folder)[0]]
    assert canary.error is not None and canary.error["file"].endswith(f"{tag1}.sql")
    assert isinstance(canary.error["line"], int) and isinstance(canary.error["column"], int)
    assert canary.error["sqlstate"] == "42P07"
    assert [t.state for t in st.targets.values()][1:] == ["not_started"] * (N - 1)

    _fix(fleet.urls[0])
    r = cli(*cmd)
    assert r.returncode == 0, r.stderr
    out = _json(r)
    assert [t["state"] for t in out["targets"]] == ["done"] * N and out["rollout"]["waves_run"] == 3
    assert [t["wave"] for t in out["targets"]] == [1] * 1 + [2] * 5 + [3] * 6  # 1, ceil(50% of 12) = 6, 12
    assert set(fleet.states().values()) == {"done"}
    for url in fleet.urls:
        assert [row[1:3] for row in tracking_rows(url)] == [row[1:3] for row in tracking_rows(fleet.urls[1])]
    assert len(tracking_rows(fleet.urls[0])) == 5
    assert drizzle_rows(fleet.urls[0]) == drizzle_rows(fleet.urls[11])  # as drizzle-orm reads them


def test_max_failures_halts_after_the_second_failure_and_status_tells_the_states_apart(cli, fleet: Fleet) -> None:
    for i in (4, 5, 6, 7):
        _break(fleet.urls[i])
    r = cli(*fleet.args("--max-failures", "2", "--jobs", "1"))
    assert r.returncode == 3, r.stderr
    assert "rollout" in r.stdout and "halted: 2 target(s) failed (--max-failures 2) in wave 1 of 1" in r.stdout
    assert "4 ok, 2 failed, 6 never started" in r.stdout
    assert fleet.states() == {f"t{i:02d}": s for i, s in enumerate(["done"] * 4 + ["failed"] * 2 + ["not_started"] * 6)}
    assert all(len(tracking_rows(u)) == 5 for u in fleet.urls[:4])
    assert not any(_tracked(u) for u in fleet.urls[6:])  # after the halt: untouched, broken ones included

    r = cli("fleet", "status", "--targets", str(fleet.targets), "--migrations", str(fleet.folder))
    lines = {line.split()[0]: line for line in r.stdout.splitlines() if line.startswith("t")}
    assert "rollout wave 1: done" in lines["t00"] and "rollout wave 1: failed (" in lines["t04"]
    assert f"{tags(fleet.folder)[1]}.sql:" in lines["t05"] and "rollout: never started" in lines["t06"]
    assert "halted" in r.stdout and "4 done, 2 failed, 6 never started" in r.stdout
    r = cli("fleet", "status", "--targets", str(fleet.targets), "--migrations", str(fleet.folder), "--json")
    got = [(t["rollout"]["state"], t["counts"]["applied"] if t["counts"] else None) for t in _json(r)["targets"]]
    assert got == [("done", 5)] * 4 + [("failed", 1)] * 2 + [("not_started", 0)] * 6  # record beside live state


def test_a_failure_in_the_first_wave_means_the_second_never_starts(cli, fleet: Fleet) -> None:
    _break(fleet.urls[1])
    r = cli(*fleet.args("--waves", "25%,100%", "--jobs", "2", "--json"))
    assert r.returncode == 3, r.stderr
    out = _json(r)
    assert out["rollout"]["waves_run"] == 1 and out["targets"][1]["state"] == "failed"
    assert out["targets"][2]["state"] in ("done", "halted", "not_started")  # started or not beside t01: a race
    assert [t["state"] for t in out["targets"][3:]] == ["not_started"] * 9
    assert not any(_tracked(u) for u in fleet.urls[3:])
    events = [json.loads(line) for line in fleet.record.read_text().splitlines()]
    assert [e["wave"] for e in events if e["event"] == "wave"] == [1]
    # within the policy, the next wave starts
    _fix(fleet.urls[1])
    _break(fleet.urls[3])  # not started above (t02 may have been, and then has the table already)
    r = cli(*fleet.args("--waves", "25%,100%", "--jobs", "2", "--max-failures", "2", "--json"))
    out = _json(r)
    assert r.returncode == 3 and out["rollout"]["outcome"] == "completed" and out["rollout"]["waves_run"] == 2
    assert [t["state"] for t in out["targets"]] == ["done"] * 3 + ["failed"] + ["done"] * 8


def test_max_failure_rate_counts_the_targets_of_the_waves_begun(cli, fleet: Fleet) -> None:
    for i in (1, 2):
        _break(fleet.urls[i])
    cmd = fleet.args("--waves", "50%,100%", "--max-failure-rate", "20%", "--jobs", "1", "--json")
    out = _json(cli(*cmd))  # wave 1 has 6 targets: 1 failure is within 20%, the second is more
    assert out["rollout"]["reason"].startswith("2 of 6 target(s) of the waves begun failed, more than 20%")
    assert [t["state"] for t in out["targets"]] == ["done", "failed", "failed"] + ["not_started"] * 9
    assert not any(_tracked(u) for u in fleet.urls[3:])
    _fix(fleet.urls[2])
    out = _json(cli(*cmd))  # 1 of 6, then 1 of 12: within the policy, every wave runs
    assert out["rollout"]["outcome"] == "completed" and out["exit_code"] == 3
    assert [t["state"] for t in out["targets"]] == ["done", "failed"] + ["done"] * 10


def test_a_halt_lets_a_running_target_finish_its_migration_then_stops_it(cli, fleet: Fleet, pg_server: str) -> None:
    first = tags(fleet.folder)[0]
    assert cli(*fleet.args("--to", first, "--no-record")).returncode == 0
    assert not fleet.record.exists()
    _break(fleet.urls[1])
    key = lock_key("drizzle", "__drizzle_migrations")
    with psycopg.connect(fleet.urls[0]) as holder, psycopg.connect(fleet.urls[1], autocommit=True) as gate:
        holder.execute("LOCK TABLE users IN ACCESS EXCLUSIVE MODE")  # t00's 0001 (a foreign key) waits for it
        gate.execute("SELECT pg_advisory_lock(%s)", (key,))  # t01 waits for its migration lock
        proc = _start(fleet.args("--max-failures", "1", "--jobs", "2", "--lock-timeout", "60s", "--json"))
        try:
            _wait_lock(pg_server, [fleet.dbnames[0]], proc)  # t00 is inside its 0001
            gate.execute("SELECT pg_advisory_unlock(%s)", (key,))  # t01 goes on and fails: the halt
            _wait_for(lambda: '"event":"halt"' in fleet.record.read_text(), proc)
        finally:
            holder.rollback()  # t00's migration goes on, commits, and t00 stops there
        out_text, err = proc.communicate(timeout=60)
    assert proc.returncode == 3, err
    got = {t["name"]: t for t in json.loads(out_text)["targets"]}
    assert got["t00"]["state"] == "halted" and [a["tag"] for a in got["t00"]["applied"]] == [tags(fleet.folder)[1]]
    assert got["t00"]["halted"].startswith(
        f"stopped before {tags(fleet.folder)[2]}; applied so far: {tags(fleet.folder)[1]}"
    )
    assert len(tracking_rows(fleet.urls[0])) == 2  # 0000 before, 0001 finished, nothing after the halt
    assert [got[f"t{i:02d}"]["state"] for i in range(2, N)] == ["not_started"] * (N - 2)
    assert fleet.states()["t00"] == "halted"
    assert all(len(tracking_rows(u)) == 1 for u in fleet.urls[2:])


def test_sigkill_during_a_wave_then_resume_applies_nothing_twice(cli, fleet: Fleet, pg_server: str) -> None:
    first = tags(fleet.folder)[0]
    assert cli(*fleet.args("--to", first, "--no-record")).returncode == 0
    holders = [psycopg.connect(fleet.urls[i]) for i in (5, 6)]
    try:
        for h in holders:  # t05 and t06 (wave 2) wait on their 0001 inside the migration's transaction
            h.execute("LOCK TABLE users IN ACCESS EXCLUSIVE MODE")
        cmd = fleet.args("--waves", "25%,100%", "--jobs", "2", "--lock-timeout", "0", "--wait", "120")
        proc = _start(cmd)
        _wait_lock(pg_server, fleet.dbnames[5:7], proc)
        second = subprocess.run(_gtsd(cmd), capture_output=True, text=True, env=_env(), timeout=60)
        assert second.returncode == 4, second.stderr  # a second rollout on the same record is refused
        assert f"pid {proc.pid}" in second.stderr and "rollout record" in second.stderr
        proc.kill()  # SIGKILL: no end written for the running targets
        proc.wait(timeout=10)
    finally:
        for h in holders:
            h.close()  # the killed client's sessions go on, fail to answer it, roll back
    states = fleet.states()
    assert [states[f"t{i:02d}"] for i in range(N)] == ["done"] * 5 + ["interrupted"] * 2 + ["not_started"] * 5
    st = read_record(fleet.record)
    assert st is not None and st.outcome is None and "interrupted" in st.summary()
    finished = {i: tracking_rows(fleet.urls[i]) for i in range(5)}  # (id, hash, created_at, xmin)

    r = cli("fleet", "migrate", "--resume", str(fleet.record), "--migrations", str(fleet.folder), "--wait", "120")
    assert r.returncode == 0, r.stderr
    assert "done earlier" in r.stdout and "rollout" in r.stdout
    assert set(fleet.states().values()) == {"done"}
    assert {i: tracking_rows(fleet.urls[i]) for i in range(5)} == finished  # not one row rewritten
    reference = [row[1:3] for row in finished[0]]
    for url in fleet.urls:
        assert [row[1:3] for row in tracking_rows(url)] == reference  # each migration once, no duplicate
    events = [json.loads(line) for line in fleet.record.read_text().splitlines()]
    resumed = events[[e["event"] for e in events].index("resume") :]
    assert {e["target"] for e in resumed if e["event"] == "start"} == {f"t{i:02d}" for i in range(5, N)}
    assert [e["wave"] for e in resumed if e["event"] == "wave"] == [2]  # the waves kept: wave 1 was done


def test_sigterm_rolls_back_the_running_migration_and_the_record_says_who_completed(
    cli, fleet: Fleet, pg_server: str
) -> None:
    first = tags(fleet.folder)[0]
    assert cli(*fleet.args("--to", first, "--no-record")).returncode == 0
    with psycopg.connect(fleet.urls[5]) as holder:
        holder.execute("LOCK TABLE users IN ACCESS EXCLUSIVE MODE")
        proc = _start(fleet.args("--jobs", "1", "--lock-timeout", "0", "--json"))
        _wait_lock(pg_server, [fleet.dbnames[5]], proc)
        proc.send_signal(signal.SIGTERM)
        out_text, err = proc.communicate(timeout=30)
        holder.rollback()
    assert proc.returncode == 3, err
    out = json.loads(out_text)
    assert out["rollout"]["outcome"] == "interrupted"
    assert [t["state"] for t in out["targets"]] == ["done"] * 5 + ["interrupted"] + ["not_started"] * 6
    assert out["targets"][5]["error"]["sqlstate"] == "57014"  # cancelled on the server: rolled back
    assert [fleet.states()[f"t{i:02d}"] for i in range(N)] == ["done"] * 5 + ["interrupted"] + ["not_started"] * 6
    assert len(tracking_rows(fleet.urls[5])) == 1
    with psycopg.connect(fleet.urls[5]) as conn:
        assert conn.execute("SELECT to_regclass('projects')").fetchone() == (None,)
    finished = {i: tracking_rows(fleet.urls[i]) for i in range(5)}
    r = cli("fleet", "migrate", "--resume", str(fleet.record), "--migrations", str(fleet.folder), "--json")
    assert r.returncode == 0, r.stderr
    assert [t["earlier"] for t in _json(r)["targets"]] == [True] * 5 + [False] * 7
    assert {i: tracking_rows(fleet.urls[i]) for i in range(5)} == finished
    assert all(len(tracking_rows(u)) == 5 for u in fleet.urls)


def test_ci_matrix_jobs_one_record_each_merged_by_status(cli, fleet: Fleet, tmp_path: Path) -> None:
    lines = fleet.targets.read_text().splitlines(keepends=True)
    parts = [tmp_path / "part-a.txt", tmp_path / "part-b.txt"]
    parts[0].write_text("".join(lines[:6]))
    parts[1].write_text("".join(lines[6:]))
    _break(fleet.urls[8])
    procs = [_start(("fleet", "migrate", "--targets", str(p), "--migrations", str(fleet.folder))) for p in parts]
    assert [p.wait(timeout=120) for p in procs] == [0, 3]
    records = [str(p) + ".rollout.jsonl" for p in parts]
    r = cli(
        "fleet", "status", "--targets", str(fleet.targets), "--migrations", str(fleet.folder), "--json",
        "--record", records[0], "--record", records[1],
    )  # fmt: skip
    out = _json(r)
    assert [t["rollout"]["state"] for t in out["targets"]] == ["done"] * 8 + ["failed"] + ["done"] * 3
    assert len(out["rollouts"]) == 2
    r = cli("fleet", "status", "--targets", str(fleet.targets), "--migrations", str(fleet.folder))
    assert "rollout" not in r.stdout  # no record beside all-targets: nothing to show
    missing = cli(
        *("fleet", "status", "--targets", str(fleet.targets), "--migrations", str(fleet.folder)),
        *("--record", str(tmp_path / "nope.jsonl")),
    )
    assert missing.returncode == 2 and "nope.jsonl: rollout record not found" in missing.stderr


# ---- a real process --------------------------------------------------------------------------------


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}


def _gtsd(args: tuple[str, ...]) -> list[str]:
    return [sys.executable, "-m", "gtsd_tui", *args]


def _start(args: tuple[str, ...]) -> subprocess.Popen[str]:
    return subprocess.Popen(_gtsd(args), env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(cond, proc: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return
        if proc.poll() is not None:
            raise AssertionError(f"the rollout ended early: {proc.communicate()}")
        time.sleep(0.05)
    proc.kill()
    raise AssertionError("condition not reached")


def _wait_lock(admin: str, dbnames: list[str], proc: subprocess.Popen[str]) -> None:
    """Until a session of each database waits for a heavyweight lock (a migration blocked on ``users``)."""

    def blocked() -> bool:
        with psycopg.connect(admin, autocommit=True) as conn:
            row = conn.execute(
                "SELECT count(DISTINCT datname) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND datname = ANY(%s)",
                (dbnames,),
            ).fetchone()
            return bool(row and row[0] == len(dbnames))

    _wait_for(blocked, proc)


def test_bad_staging_input_is_refused_before_any_connection_and_nothing_is_written(
    monkeypatch, capsys, tmp_path: Path
) -> None:
    from gtsd_tui.cli import main
    from gtsd_tui.core.fleets.rollout import make_plan
    from gtsd_tui.core.fleets.targets import read_targets
    from gtsd_tui.services.apply import ApplyRequest
    from gtsd_tui.services.rollout import header
    from tests.test_fleet_cli import _no_connect

    folder = five_migrations()
    _no_connect(monkeypatch)
    targets = tmp_path / "targets.txt"
    targets.write_text("".join(f"t{i}=postgresql://u:pw@db.invalid/d{i}\n" for i in range(4)))
    record = tmp_path / "targets.txt.rollout.jsonl"
    base = ["fleet", "migrate", "--migrations", str(folder)]
    for bad, says in [
        (["--waves", "50%"], "the last wave must be 100%"),
        (["--waves", "50%,25%,100%"], "must increase"),
        (["--canary", "0"], "--canary 0"),
        (["--max-failures", "0"], "--max-failures 0"),
        (["--max-failure-rate", "abc"], "--max-failure-rate abc"),
    ]:
        assert main([*base, "--targets", str(targets), *bad]) == 2, bad
        assert says in capsys.readouterr().err
    assert not record.exists()  # refused before the record was opened
    missing = tmp_path / "nope.jsonl"
    assert main([*base, "--resume", str(missing)]) == 2
    assert "rollout record not found" in capsys.readouterr().err and not missing.exists()

    # a record whose targets file changed since: refused, and the record is left as it was
    found = read_targets(targets)
    plan = make_plan(1, "50%,100%", None, None)
    head = header(found, plan, {"targets_file": str(targets)}, ApplyRequest(), str(folder), "r1")
    record.write_text(json.dumps(head) + "\n")
    assert ":pw@" not in record.read_text()  # masked URLs only
    assert main([*base, "--resume", str(record), "--waves", "10%,100%"]) == 2
    assert "keeps its record's waves" in capsys.readouterr().err
    targets.write_text(targets.read_text() + "t9=postgresql://u:pw@db.invalid/d9\n")
    before = record.read_text()
    assert main([*base, "--resume", str(record)]) == 2
    assert "the targets changed since the rollout began (new t9)" in capsys.readouterr().err
    assert record.read_text() == before
