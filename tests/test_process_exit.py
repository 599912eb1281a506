"""The entries leave through ``os._exit`` when nothing remains for the interpreter's exit
(``gtsd_tui/process_exit.py``): the same outputs and exit codes as ``sys.exit(main())``, and the usual
exit wherever something waits for it (an atexit callback, threading, a closed pipe)."""

from __future__ import annotations

import os
import platform
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.helpers.git import base_repo, git
from tests.helpers.procs import default_signals

# a finalizer in __main__: the interpreter's exit runs it (it clears every module), os._exit does not
TORN = "class D:\n    def __del__(self): sys.stderr.write('torn down\\n')\nd = D()\n"
SCRIPT = "import sys\n" + TORN + "from gtsd_tui.cli import {name}\nsys.exit({name}())\n"  # as pip's script
MAIN, ENTRY = SCRIPT.format(name="main"), SCRIPT.format(name="entry")


def run(
    code: str, *args: str, cwd: Path | None = None, stdout: int = subprocess.PIPE
) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, env=env, stdout=stdout, stderr=subprocess.PIPE)


def test_the_console_script_runs_entry() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["gtsd-tui"] == "gtsd_tui.start:cli"


def _forms(sample: Path, tmp: Path) -> dict[str, list[str]]:
    broken = tmp / "broken"
    broken.mkdir()
    for p in sample.rglob("*"):
        if p.is_file():
            (broken / p.relative_to(sample)).parent.mkdir(parents=True, exist_ok=True)
            (broken / p.relative_to(sample)).write_bytes(p.read_bytes())
    (broken / "0002_partners.sql").unlink()
    (tmp / "unsafe.sql").write_text('ALTER TABLE "users" ADD COLUMN "n" integer NOT NULL;\n')
    return {
        "check ok": ["check", "--offline", "--migrations", str(sample)],
        "check json": ["check", "--offline", "--json", "--migrations", str(sample)],
        "check problems": ["check", "--offline", "--format", "github", "--migrations", str(broken)],
        "check no folder": ["check", "--offline", "--migrations", str(tmp / "none")],
        "lint ok": ["lint", str(sample / "0001_onboarding.sql")],
        "lint problems": ["lint", "--format", "sarif", str(tmp / "unsafe.sql")],
        "lint no file": ["lint", str(tmp / "nothing.sql")],
        "usage": ["check", "--format", "xml"],
    }


CODES = {
    "check ok": 0,
    "check json": 0,
    "check problems": 1,
    "check no folder": 2,
    "lint ok": 0,
    "lint problems": 1,
    "lint no file": 2,
    "usage": 2,
}


@pytest.mark.parametrize("form", sorted(CODES))
def test_entry_gives_mains_outputs_and_exit_code_without_the_teardown(sample: Path, tmp_path: Path, form: str) -> None:
    args = _forms(sample, tmp_path)[form]
    want = run(MAIN, *args)
    got = run(ENTRY, *args)
    assert want.stderr.endswith(b"torn down\n")  # the detector: main's run goes through the usual exit
    assert (got.returncode, got.stdout) == (want.returncode, want.stdout)
    torn = b"torn down\n"
    assert got.stderr.removesuffix(torn) == want.stderr.removesuffix(torn)
    assert got.stderr.endswith(torn) == (form == "usage")  # argparse's error exits from inside main
    assert want.returncode == CODES[form]
    assert want.stdout.strip() or form in ("check no folder", "lint no file", "usage")


def test_atexit_imported_with_nothing_registered_still_leaves_quickly(sample: Path) -> None:
    code = ENTRY.replace("from gtsd_tui", "import atexit\nfrom gtsd_tui", 1)
    r = run(code, "check", "--offline", "--migrations", str(sample))
    assert r.returncode == 0 and r.stderr == b"", r.stderr


@pytest.mark.parametrize("waiting", ["an atexit callback", "threading"])
def test_entry_leaves_the_usual_way_when_something_waits(sample: Path, waiting: str) -> None:
    first = (
        "import atexit; atexit.register(lambda: sys.stderr.write('callback ran\\n'))\n"
        if waiting == "an atexit callback"
        else "import threading\n"
    )
    code = ENTRY.replace("from gtsd_tui", first + "from gtsd_tui", 1)
    r = run(code, "check", "--offline", "--migrations", str(sample))
    assert r.returncode == 0 and r.stderr.endswith(b"torn down\n"), r.stderr
    assert (b"callback ran" in r.stderr) == (waiting == "an atexit callback")


@pytest.mark.parametrize("form", ["check ok", "check json", "lint ok", "lint problems"])
def test_a_closed_pipe_ends_as_it_did(sample: Path, tmp_path: Path, form: str) -> None:
    """stdout's reader gone before the run writes: the same exit code and messages as with
    ``sys.exit(main())`` (where the run's own flush met the closed pipe, or the usual exit's did)."""
    args = _forms(sample, tmp_path)[form]
    results = []
    for code in (MAIN, ENTRY):
        read, write = os.pipe()
        os.close(read)
        try:
            results.append(run(code, *args, stdout=write))
        finally:
            os.close(write)
    (want, got) = results
    assert got.returncode == want.returncode
    assert got.stderr.removesuffix(b"torn down\n") == want.stderr.removesuffix(b"torn down\n")


def test_the_installed_hook_leaves_without_the_teardown(tmp_path: Path, sample: Path) -> None:
    """The pre-commit hook ``git install`` writes, fired by a real ``git commit`` (its command with the
    detector first): the commit goes through, the interpreter's exit was skipped; a broken folder is
    refused with its line and exit code 1 all the same."""
    repo = base_repo(tmp_path, sample)
    r = run("import sys; from gtsd_tui.cli import main; sys.exit(main())", "git", "install", cwd=repo)
    assert r.returncode == 0, r.stderr
    hook = repo / ".git/hooks/pre-commit"
    text = hook.read_text()
    entry = "'from gtsd_tui.start import git; git()'"
    assert entry in text
    detector = "import sys\n" + TORN.replace("'", '"') + "from gtsd_tui.start import git; git()"
    hook.write_text(text.replace(entry, "'" + detector + "'"))
    (repo / "migrations/0003_today_checklist.sql").write_text("-- edited\n", encoding="utf-8")
    git(repo, "add", "-A")
    ok = git(repo, "commit", "-qm", "edit", check=False)
    assert ok.returncode == 0 and "torn down" not in ok.stderr, ok.stderr
    (repo / "migrations/0002_partners.sql").unlink()
    git(repo, "add", "-A")
    bad = git(repo, "commit", "-qm", "broken", check=False)
    assert bad.returncode == 1 and "refused: missing-file:" in bad.stderr and "torn down" not in bad.stderr


READ = {"x86_64": "0", "aarch64": "63"}.get(platform.machine())  # the read(2) system call's number


def _reading_stdin(pid: int) -> bool:
    """The process is blocked in ``read(0, ...)`` (``/proc/PID/syscall``: number, then the arguments)."""
    try:
        parts = Path(f"/proc/{pid}/syscall").read_text().split()
    except OSError:
        return False
    return parts[:2] == [READ, "0x0"]


def _ignoring_sighup() -> None:
    default_signals()
    signal.signal(signal.SIGHUP, signal.SIG_IGN)


@pytest.mark.parametrize("case", ["SIGTERM", "SIGHUP", "SIGHUP ignored (nohup)"])
def test_termination_signals_end_the_run_as_before(case: str) -> None:
    """The CLI's handlers are installed with the builtin ``_signal`` (no ``signal`` import at start):
    SIGTERM and SIGHUP still end a run with 128 + the signal and one line naming it; a SIGHUP the
    parent ignores stays ignored (the run goes on to its end)."""
    if READ is None or not Path("/proc/self/syscall").exists():
        pytest.skip("no /proc/PID/syscall here to see the run wait for its input")
    sig = signal.SIGHUP if case.startswith("SIGHUP") else signal.SIGTERM
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    p = subprocess.Popen(
        [sys.executable, "-c", ENTRY, "lint", "-"],  # waits for its SQL on standard input
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        preexec_fn=_ignoring_sighup if "ignored" in case else default_signals,
    )
    try:
        for _ in range(200):  # until the handlers are in place: the process is reading its input
            if _reading_stdin(p.pid):
                break
            time.sleep(0.05)
        p.send_signal(sig)
        if "ignored" in case:
            time.sleep(0.3)
            assert p.poll() is None  # still running
            p.stdin.write(b"SELECT 1;\n")  # type: ignore[union-attr]
        out, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.communicate()
    if "ignored" in case:
        assert p.returncode == 0, err
    else:
        assert p.returncode == 128 + sig
        assert err.decode().strip() == f"gtsd-tui: terminated by {sig.name}"
