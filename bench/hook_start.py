"""Process start of the commands git hooks call, against ``python -c pass`` of the same interpreter.

Paths timed, each the way users start it:
- ``gtsd-tui check --offline`` through the installed console script, on the sample folder and on the
  real dittofeed folder (``../shared/corpus/dittofeed/drizzle``, copied);
- the merge driver, as ``git gtsd-tui install`` writes it (``python -c '...entry()' driver ...``), on a
  real conflicted ``_journal.json`` (two branches each adding a migration to the sample folder);
- ``gtsd-tui lint`` of one file of the sample folder, named by its full path (the bench's working
  directory is not its project), and of one file as the pre-commit hook runs it: from the project's root,
  so the folder and its snapshots are read for the hand-written check;
- the pre-commit hook ``gtsd-tui git install`` writes (``python -c '...entry()' hook pre-commit``), in a
  repository whose staged change touches the folder (so the folder is checked), from its top.

The pre-commit framework's hooks (``.pre-commit-hooks.yaml``) run the installed console script itself
(``gtsd-tui check --offline``, ``gtsd-tui lint FILES`` from the repository's top): the ``check`` and
``lint`` rows are those commands, as typed by hand too.

Each round runs the yardstick and every path once, in turn; the figures are medians of the rounds.
Target (issue 27): each path ≤ 2.5x ``python -c pass``. Run: ``python bench/hook_start.py [--rounds N]``,
with the interpreter of a venv holding a regular (not editable) install, as users have: an editable
install adds its ``.pth`` finder (and setuptools' ``_distutils_hack``) to every start, ``python -c pass``
included, which roughly doubles the yardstick here and flatters the ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DITTOFEED, OUT  # noqa: E402

from gtsd_tui.services.git_install import ENTRY  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "migrations"
BEFORE = " [baseline]"


def console_script() -> str:
    """The ``gtsd-tui`` script installed beside this interpreter (what a hook or a user runs)."""
    script = Path(sys.executable).parent / "gtsd-tui"
    if not script.exists():
        raise SystemExit(f"bench: {script} not found (pip install -e . in this venv)")
    return str(script)


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def sample_repo(dest: Path) -> Path:
    """``dest/repo``: a git repository whose one commit holds the sample folder."""
    repo = dest / "repo"
    shutil.copytree(SAMPLE, repo / "migrations")
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "config", "user.email", "bench@example.com")
    _git(repo, "config", "user.name", "bench")
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "base")
    return repo


def conflicted_journal(dest: Path) -> tuple[list[str], Path]:
    """A real conflicted merge of the sample folder: branches ``a`` and ``b`` each add a migration with
    drizzle-kit's shape, ``git merge b`` (no driver configured) stops on ``meta/_journal.json``; the
    driver's argv (``%O %A %B %P %L`` as git passes them, from the index stages) run in that state.
    A run writes the merge into ``%A``: the caller puts it back before each run."""
    shutil.rmtree(dest, ignore_errors=True)
    repo = sample_repo(dest)
    journal = repo / "migrations/meta/_journal.json"
    base = json.loads(journal.read_text())
    for branch, tag in (("a", "0004_streaks"), ("b", "0004_badges")):
        _git(repo, "checkout", "-q", "-b", branch, "main")
        data = json.loads(json.dumps(base))
        last = data["entries"][-1]
        data["entries"].append({**last, "idx": last["idx"] + 1, "when": last["when"] + 1000, "tag": tag})
        journal.write_text(json.dumps(data, indent=2))
        (repo / f"migrations/{tag}.sql").write_text(f'CREATE TABLE "{tag[5:]}" (\n\t"id" serial\n);\n')
        snap = json.loads((repo / "migrations/meta/0003_snapshot.json").read_text())
        snap["prevId"], snap["id"] = snap["id"], f"00000000-0000-0000-0000-00000000000{len(branch) + ord(branch)}"
        snap.setdefault("tables", {})[f'public.{tag[5:]}'] = {
            "name": tag[5:], "schema": "", "columns": {"id": {"name": "id", "type": "serial", "primaryKey": False,
            "notNull": True}}, "indexes": {}, "foreignKeys": {}, "compositePrimaryKeys": {}, "uniqueConstraints": {},
            "policies": {}, "checkConstraints": {}, "isRLSEnabled": False,
        }  # fmt: skip
        (repo / "migrations/meta/0004_snapshot.json").write_text(json.dumps(snap, indent=2))
        _git(repo, "add", ".")
        _git(repo, "commit", "-qm", branch)
    _git(repo, "checkout", "-q", "a")
    merge = subprocess.run(["git", "merge", "-q", "b", "--no-edit"], cwd=repo, capture_output=True, text=True)
    if merge.returncode == 0:
        raise SystemExit("bench: the merge did not conflict")
    path = "migrations/meta/_journal.json"
    files = {}
    for stage, name in ((1, "base"), (2, "ours"), (3, "theirs")):
        files[name] = dest / f".merge_{name}"
        files[name].write_text(_git(repo, "show", f":{stage}:{path}"))
    argv = [sys.executable, "-c", ENTRY, "driver", str(files["base"]), str(files["ours"]), str(files["theirs"])]
    theirs = _git(repo, "rev-parse", "b").strip()
    os.environ[f"GITHEAD_{theirs}"] = "b"  # what git merge sets for its driver (names the merged commit)
    return [*argv, path, "7"], repo


def staged_repo(dest: Path) -> Path:
    """A repository holding the sample folder, one of its SQL files edited and staged (``git add``): the
    commit the pre-commit hook checks the folder for."""
    repo = sample_repo(dest)
    with open(repo / "migrations/0003_today_checklist.sql", "a") as fh:
        fh.write("-- reviewed\n")
    _git(repo, "add", ".")
    return repo


def _from_baseline(cmd: list[str], baseline: str) -> list[str]:
    """The same command run with the gtsd_tui package under ``baseline``: the editable install's finder
    (which would import this checkout's) is taken off ``sys.meta_path`` first. The script's form starts
    as pip's console script does (``import re``), then calls that tree's script entry; the driver's and
    the hooks' form calls that tree's git entry (before ``gtsd_tui/start.py``: ``commands.git.entry``)."""
    unhook = (
        "import sys; sys.meta_path[:] = [f for f in sys.meta_path if 'editable' not in repr(f)]; "
        f"sys.path.insert(0, {baseline!r}); "
    )
    has_start = Path(baseline, "gtsd_tui", "start.py").exists()
    if cmd[:2] == [sys.executable, "-c"]:  # the merge driver, the hooks
        entry = ENTRY if has_start else "from gtsd_tui.commands.git import entry; entry()"
        return [sys.executable, "-c", unhook + entry, *cmd[3:]]
    if has_start:
        script = "import re; from gtsd_tui.start import cli; sys.exit(cli())"
    else:
        script = "import re; from gtsd_tui import cli; sys.exit(getattr(cli, 'entry', cli.main)())"
    return [sys.executable, "-c", unhook + script, *cmd[1:]]


def rounds(
    paths: dict[str, tuple[list[str], Path | None]],
    count: int,
    reset: dict[str, tuple[Path, str]],
    baseline: str | None = None,
):
    """Wall times per path, and the CPU time (user + system) of each run's processes (``RUSAGE_CHILDREN``
    grows by what each reaped child and its own reaped children used): the second reading varies less
    on a loaded machine, where waiting for a core stretches every wall time."""
    times: dict[str, list[float]] = {"python -c pass": [], **{name: [] for name in paths}}
    cpu: dict[str, list[float]] = {name: [] for name in times}
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    for _ in range(count):
        c0, t0 = _children_cpu(), time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True, env=env)
        times["python -c pass"].append(time.perf_counter() - t0)
        cpu["python -c pass"].append(_children_cpu() - c0)
        for name, (cmd, cwd) in paths.items():
            if name.removesuffix(BEFORE) in reset:
                reset[name.removesuffix(BEFORE)][0].write_text(reset[name.removesuffix(BEFORE)][1])
            run_env = env
            if baseline and name.endswith(BEFORE):
                cmd = _from_baseline(cmd, baseline)
            c0, t0 = _children_cpu(), time.perf_counter()
            r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=run_env)
            times[name].append(time.perf_counter() - t0)
            cpu[name].append(_children_cpu() - c0)
            if r.returncode not in (0, 1) or (name.removesuffix(BEFORE) in reset and r.returncode != 0):
                raise SystemExit(f"bench: {name} exited {r.returncode}: {r.stderr.strip()}")
    return times, cpu


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=21)
    ap.add_argument(
        "--baseline",
        metavar="DIR",
        help="also time each path with an earlier gtsd_tui package, in the same rounds (DIR holds it: "
        "`git archive REV gtsd_tui | tar -x -C DIR`)",
    )
    opts = ap.parse_args()
    work = OUT / "hook_start"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    shutil.copytree(SAMPLE, work / "sample")
    shutil.copytree(DITTOFEED, work / "dittofeed")
    shutil.copytree(SAMPLE, work / "project" / "migrations")
    script = console_script()
    driver, repo = conflicted_journal(work / "merge")
    hook_repo = staged_repo(work / "hook")
    ours = Path(driver[5])
    paths: dict[str, tuple[list[str], Path | None]] = {
        "check --offline (sample)": ([script, "check", "--offline", "--migrations", str(work / "sample")], None),
        "check --offline (dittofeed)": ([script, "check", "--offline", "--migrations", str(work / "dittofeed")], None),
        "merge driver (_journal.json)": (driver, repo),
        "lint (one file)": ([script, "lint", str(work / "sample" / "0001_onboarding.sql")], None),
        # as the pre-commit hook runs it: from the project's root, so the folder (and its snapshots) is
        # read for the hand-written check
        "lint (one file, from the project root)": (
            [script, "lint", "migrations/0001_onboarding.sql"],
            work / "project",
        ),
        "pre-commit hook (git install's)": (
            [sys.executable, "-c", ENTRY, "hook", "pre-commit", "--migrations", "migrations"],
            hook_repo,
        ),
    }
    if opts.baseline:
        paths.update({name + BEFORE: value for name, value in list(paths.items())})
        subprocess.run([sys.executable, "-m", "compileall", "-q", opts.baseline], check=True)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "gtsd_tui")], check=True)
    reset = {"merge driver (_journal.json)": (ours, ours.read_text())}
    rounds(paths, 2, reset, opts.baseline)  # warm-up
    times, cpu = rounds(paths, opts.rounds, reset, opts.baseline)
    floor = statistics.median(times.pop("python -c pass"))
    cpu_floor = statistics.median(cpu.pop("python -c pass"))
    print(
        f"python -c pass: {floor * 1000:.1f} ms, CPU {cpu_floor * 1000:.1f} ms "
        f"(medians of {opts.rounds}, alternating with each path)"
    )
    for name, ts in times.items():
        med, med_cpu = statistics.median(ts), statistics.median(cpu[name])
        print(
            f"{name}: {med * 1000:.1f} ms  ratio {med / floor:.2f}x  (target: <= 2.5x); "
            f"CPU {med_cpu * 1000:.1f} ms, {med_cpu / cpu_floor:.2f}x"
        )


if __name__ == "__main__":
    main()
