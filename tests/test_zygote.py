"""The test zygote (tests/helpers/zygote.py) gives what a fresh ``python -m gtsd_tui`` gives: the same
output and exit code for the same arguments, environment and working folder, a process of its own
(a signal that ends it gives its negative code, a timeout kills it), and runs at once that do not mix."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import zygote
from tests.helpers.zygote import Zygote


@pytest.fixture(scope="module")
def forks() -> Iterator[Zygote]:
    z = Zygote()
    yield z
    z.stop()


def base_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}


def fresh(args: list[str], *, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "gtsd_tui", *args]
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=60)


def test_output_and_exit_code_are_a_fresh_process_s(forks: Zygote, sample: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"  # found through the working folder: ./migrations
    shutil.copytree(sample, project / "migrations")
    unreachable = "postgresql://app:Sup3rSecret@127.0.0.1:{}/x"
    cases = [
        (["check", "--offline", "--json", "--migrations", str(sample)], tmp_path, {}),
        (["lint", "--json"], project, {}),  # every finding names its file under the working folder
        (["status"], project, {"DATABASE_URL": unreachable.format(1)}),  # exit 3, the host named
        (["status"], project, {"DATABASE_URL": unreachable.format(2)}),  # another environment, another line
        (["--nope"], tmp_path, {}),  # argparse: exit 2, usage on stderr
        (["lint", "--migrations", str(tmp_path / "missing")], tmp_path, {}),
        (["--version"], tmp_path, {}),
    ]
    for args, cwd, extra in cases:
        env = {**base_env(), **extra}
        want = fresh(args, cwd=cwd, env=env)
        got = forks.run(args, cwd=cwd, env=env, timeout=60)
        assert (got.returncode, got.stdout, got.stderr) == (want.returncode, want.stdout, want.stderr), args
        assert "Sup3rSecret" not in got.stdout + got.stderr
    assert str(project / "migrations") in forks.run(["lint", "--json"], cwd=project, env=base_env(), timeout=60).stdout
    assert "127.0.0.1:1" in forks.run(["status"], cwd=project, env={**base_env(), **cases[2][2]}, timeout=60).stderr


def test_the_run_is_a_process_of_its_own(forks: Zygote, tmp_path: Path) -> None:
    pkg = tmp_path / "gtsd_tui"  # a stand-in in the working folder, found first as ``python -m`` finds it
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "__main__.py").write_text("import os\nprint(os.getpid(), os.getppid())\nraise SystemExit(7)\n")
    got = forks.run([], cwd=tmp_path, env=base_env(), timeout=60)
    want = fresh([], cwd=tmp_path, env=base_env())
    assert got.returncode == want.returncode == 7, got.stderr
    pid, ppid = map(int, got.stdout.split())
    assert pid == forks.last_pid and pid != os.getpid() and ppid not in (os.getpid(), forks.proc.pid)


@pytest.mark.pg
def test_a_signal_that_ends_the_run_gives_its_negative_code(forks: Zygote, sample: Path, pg_url: str) -> None:
    env = {**base_env(), "GTSD_TEST_KILL_RESET_STEP": "1"}  # reset kills itself after its first step
    args = ["reset", "--yes", "--migrations", str(sample), "--database-url", pg_url]
    assert forks.run(args, cwd=sample, env=env, timeout=120).returncode == -signal.SIGKILL


def test_a_timeout_kills_the_run(forks: Zygote, sample: Path, tmp_path: Path) -> None:
    with pytest.raises(subprocess.TimeoutExpired):
        forks.run(["check", "--offline", "--migrations", str(sample)], cwd=tmp_path, env=base_env(), timeout=1e-6)
    for _ in range(100):  # killed: gone once its monitor reaps it
        try:
            os.kill(forks.last_pid, 0)
        except ProcessLookupError:
            return
        threading.Event().wait(0.05)
    pytest.fail(f"process {forks.last_pid} still runs after the timeout")


def test_runs_at_once_do_not_mix(forks: Zygote, sample: Path, tmp_path: Path) -> None:
    results: dict[int, subprocess.CompletedProcess[str]] = {}

    def one(n: int) -> None:
        folder = tmp_path / f"m{n}"
        shutil.copytree(sample, folder)
        args = ["new", f"tag{n}", "--migrations", str(folder)]
        results[n] = forks.run(args, cwd=tmp_path, env=base_env(), timeout=60)

    threads = [threading.Thread(target=one, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == list(range(6))
    for n, r in results.items():
        assert r.returncode == 0, r.stderr
        assert f"m{n}/" in r.stdout and f"_tag{n}.sql" in r.stdout, r.stdout
        assert not any(f"_tag{m}.sql" in r.stdout for m in results if m != n)


def test_fresh_interpreters_when_asked_or_when_a_python_setting_differs(
    forks: Zygote, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert forks.serves(dict(forks.env))
    assert not forks.serves({**forks.env, "PYTHONPROFILEIMPORTTIME": "1"})  # read once, at start
    monkeypatch.setenv(zygote.ENV_SWITCH, "1")
    assert zygote.zygote() is None


def test_a_started_run_is_waited_for_like_popen(forks: Zygote, tmp_path: Path) -> None:
    from gtsd_tui.services.folder_lock import folder_lock
    from tests.helpers import renumber_shapes as shapes

    shape = shapes.orphans(tmp_path / "src")
    folder = shape.root / shape.folder_rel
    with folder_lock(folder, "test holder"):  # the run waits for the lock until we let go
        run = forks.popen(
            ["renumber", "--yes", "--offline", "--wait", "60", "--migrations", str(folder)],
            cwd=tmp_path,
            env=base_env(),
        )
        with pytest.raises(subprocess.TimeoutExpired):
            run.wait(timeout=2)
        assert run.returncode is None and run.pid > 0
    out, err = run.communicate(timeout=60)
    assert run.returncode == 0, err
    assert "renumbered;" in out and "test holder" in err
