"""``git checkout`` between two branches already seen, with the ``--branch-db`` post-checkout hook
(the database of each branch parked and put back by renames) against the same checkouts with hooks
off (``-c core.hooksPath=/dev/null``), alternating, medians. The folder: 40 migrations on main, 45 on
feature (each a table and two indexes); the database holds main's / feature's migrations and a row.
Runs on a server configured like the app's embedded default, or on DATABASE_URL.
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import OUT, database_url, fresh_database, generate_folder, gtsd, timed  # noqa: E402

ENV = {
    # compiled bytecode kept (in bench/.out), as in an installed gtsd-tui: without it every hook run
    # compiles ~80 modules again (0.3 s)
    **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PYTHONDONTWRITEBYTECODE")},
    "PYTHONPYCACHEPREFIX": str(OUT / "pycache"),
    "GIT_AUTHOR_NAME": "b",
    "GIT_AUTHOR_EMAIL": "b@example.invalid",
    "GIT_COMMITTER_NAME": "b",
    "GIT_COMMITTER_EMAIL": "b@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}
ROUNDS = 7


def git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    r = subprocess.run(["git", *args], cwd=repo, env=ENV, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    return r


def run_gtsd(repo: Path, *args: str) -> None:
    r = subprocess.run(gtsd(*args), cwd=repo, env=ENV, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr


def build(repo: Path, url: str) -> None:
    shutil.rmtree(repo, ignore_errors=True)
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    (repo / ".gitignore").write_text(".env\n.gtsd\n")
    (repo / ".env").write_text(f"DATABASE_URL={url}\n")
    generate_folder(repo / "drizzle", 40)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "main")
    git(repo, "checkout", "-qb", "feature")
    shutil.rmtree(repo / "drizzle")
    generate_folder(repo / "drizzle", 45)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "feature")
    git(repo, "checkout", "-q", "main")


def cpu() -> float:
    u = resource.getrusage(resource.RUSAGE_CHILDREN)
    return u.ru_utime + u.ru_stime


def switch_pair(repo: Path, hooks: bool) -> tuple[float, float, list[str]]:
    """Wall and CPU seconds for ``git checkout feature`` + ``git checkout main``; the hook's own timings."""
    off = [] if hooks else ["-c", "core.hooksPath=/dev/null"]
    total, said, c0 = 0.0, [], cpu()
    for branch in ("feature", "main"):
        t, r = timed(["git", *off, "checkout", "-q", branch], cwd=repo, env=ENV)
        assert r.returncode == 0, r.stdout + r.stderr
        total += t
        said += re.findall(r"is now \S+ \((\d+) ms\)", r.stderr)
    return total, cpu() - c0, said


def psycopg_start() -> tuple[float, float]:
    """The floor of any Python process that talks to PostgreSQL: start and ``import psycopg``."""
    c0 = cpu()
    t, r = timed([sys.executable, "-c", "import psycopg"], env=ENV)
    assert r.returncode == 0, r.stderr
    return t, cpu() - c0


def main() -> None:
    url = fresh_database(database_url(durable=True), "bench_branch")
    repo = OUT / "branch_switch"
    build(repo, url)
    run_gtsd(repo, "migrate")
    run_gtsd(repo, "git", "install", "--branch-db")
    first, _, _ = switch_pair(repo, hooks=True)  # both branches seen: each has its database from now on
    on, off, on_cpu, off_cpu, py, py_cpu, hook_ms = [], [], [], [], [], [], []
    for _ in range(ROUNDS):
        t, c, said = switch_pair(repo, hooks=True)
        on.append(t / 2)
        on_cpu.append(c / 2)
        hook_ms += [int(s) for s in said]
        t, c, _ = switch_pair(repo, hooks=False)
        off.append(t / 2)
        off_cpu.append(c / 2)
        t, c = psycopg_start()
        py.append(t)
        py_cpu.append(c)
    med = statistics.median
    added, added_cpu = med(on) - med(off), med(on_cpu) - med(off_cpu)
    print(f"first switch to each branch (feature built from nothing: 45 migrations): {first / 2:.3f}s per checkout")
    print(
        f"git checkout, hooks off (yardstick): median {med(off) * 1000:.0f} ms wall, {med(off_cpu) * 1000:.0f} ms CPU"
    )
    print(f"git checkout with the branch-db hook: median {med(on) * 1000:.0f} ms wall, {med(on_cpu) * 1000:.0f} ms CPU")
    print(f"added by the hook: {added * 1000:.0f} ms wall, {added_cpu * 1000:.0f} ms CPU per checkout")
    print(
        f"second yardstick, python -c 'import psycopg': {med(py) * 1000:.0f} ms wall, {med(py_cpu) * 1000:.0f} ms CPU; "
        f"the hook adds {added / med(py):.2f}x that (wall), {added_cpu / med(py_cpu):.2f}x (CPU)"
    )
    print(f"the hook's own switch (lock, renames, reading the rows): median {med(hook_ms):.0f} ms")


if __name__ == "__main__":
    main()
