"""What the commands git hooks call import at start-up (issue 27): ``check --offline``, the merge
driver and ``lint`` of one file each run as a real process, the way users start them (the installed
console script; the driver as ``git gtsd-tui install`` wrote it), under ``python -X importtime``.
None of them may import psycopg, Textual, pglast or pygments, except ``lint``, which parses (pglast).
A later change that slips one of them back onto these paths fails here; the speed itself is measured
by ``bench/hook_start.py``."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers.git import add_migration, base_repo, git

FOUR = ("psycopg", "textual", "pglast", "pygments")
# What the hook paths no longer import (issue 27's start-up work), beyond what the interpreter itself
# loads before any of our code (``python -c pass``: an editable install's finder brings pathlib, say).
# argparse (with gettext, locale, shutil): the hook forms are read by hand; dataclasses (with inspect,
# ast, dis): plain classes; typing: annotations only; hashlib (OpenSSL): the builtin SHA-256 for keys.
# signal: the CLI installs its handlers with the builtin _signal (signal's enums are built at import)
NOT_ON_CHECK = (
    "argparse", "gettext", "locale", "shutil", "dataclasses", "inspect", "typing", "hashlib", "_hashlib", "signal"
)  # fmt: skip
# the driver reading a decision already made (every call after a merge's first): no pathlib, no json
NOT_ON_DRIVER = (*(m for m in NOT_ON_CHECK if m != "locale"), "pathlib", "json", "tempfile", "gtsd_tui.cli")
# lint parses with pglast's parser alone: its AST classes and enums are not run; the parse tree is
# read with the json module into plain views (core/lint/tree.py): no msgspec, which would bring
# typing, typing_extensions, inspect, uuid, decimal and datetime; the parser's lock is _thread's (no threading)
NOT_ON_LINT = (
    "argparse", "gettext", "shutil", "hashlib", "_hashlib", "pglast.ast", "pglast.enums", "dataclasses",
    "msgspec", "typing", "typing_extensions", "inspect", "uuid", "decimal", "datetime", "threading",
)  # fmt: skip
DITTOFEED = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "dittofeed" / "drizzle"


def console_script() -> list[str]:
    """``gtsd-tui`` as installed beside this interpreter (its own Python code, entry point and all)."""
    script = Path(sys.executable).parent / "gtsd-tui"
    return [str(script)] if script.exists() else ["-m", "gtsd_tui"]


def imported(stderr: str) -> set[str]:
    """The modules a run under ``-X importtime`` imported (every line it wrote on stderr)."""
    return {ln.split("|")[-1].strip() for ln in stderr.splitlines() if ln.startswith("import time:")}


def interpreter_start(*flags: str) -> set[str]:
    """What ``python -c pass`` imports here (site, an editable install's finder): not the path's doing."""
    r = subprocess.run([sys.executable, *flags, "-X", "importtime", "-c", "pass"], capture_output=True, text=True)
    return imported(r.stderr)


def beyond_start(modules: set[str], banned: tuple[str, ...], *flags: str) -> list[str]:
    """The ``banned`` modules the run imported that the interpreter's own start did not."""
    return sorted(set(banned) & (modules - interpreter_start(*flags)))


def top_level(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in names)


def run_traced(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**{k: v for k, v in os.environ.items() if k != "DATABASE_URL"}, **(env or {})}
    return subprocess.run(
        [sys.executable, "-X", "importtime", *console_script(), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
    )


def folders(sample: Path, tmp_path: Path) -> dict[str, Path]:
    out = {"sample": sample}
    if DITTOFEED.is_dir():  # the real folder of a public project, as it is (copied: the digest cache writes)
        out["dittofeed"] = Path(shutil.copytree(DITTOFEED, tmp_path / "dittofeed"))
    return out


@pytest.mark.parametrize("fmt", [(), ("--json",)], ids=["text", "json"])
def test_check_offline_imports_none_of_the_four(sample: Path, tmp_path: Path, fmt: tuple[str, ...]) -> None:
    """Also: a check whose digests come from the cache (as a hook's run after the first) imports none of
    NOT_ON_CHECK, nor ``json`` for its text output."""
    from gtsd_tui.core.migrations.digest_cache import RACY_NS

    found = folders(sample, tmp_path)
    time.sleep(RACY_NS / 1e9 + 0.1)  # files written this instant are not cached (digest_cache: racy)
    for name, folder in found.items():
        r = run_traced("check", "--offline", *fmt, "--migrations", str(folder))
        assert r.returncode in (0, 1), (name, r.stderr[-2000:])
        modules = imported(r.stderr)
        assert "gtsd_tui.core.merging.conflicts" in modules, name  # the check ran
        assert not top_level(modules, FOUR), (name, top_level(modules, FOUR))
        warm = run_traced("check", "--offline", *fmt, "--migrations", str(folder))  # digests from the cache
        assert (warm.returncode, warm.stdout) == (r.returncode, r.stdout), name
        # a text check whose journal entries and snapshot heads come from the cache reads no JSON
        banned = (*NOT_ON_CHECK, "json") if not fmt else NOT_ON_CHECK
        assert beyond_start(imported(warm.stderr), banned) == [], name


# what a warm check --offline no longer loads (besides NOT_ON_CHECK): the CLI imports the command's
# module with __import__ (no importlib package), the folder lock loads fcntl when it locks, the git
# utilities load when a conflicted file needs git's index, process_exit looks for atexit in sys.modules
LEFT_CHECK = ("json", "contextlib", "importlib", "fcntl", "gtsd_tui.services.gitutil", "atexit")
# what the entries defer (gtsd_tui/start.py) and these paths never use: re (with its compiler, and enum's
# flags), urllib.parse (pathlib's, for as_uri) with ipaddress; under -X importtime a deferred module
# that runs writes its own line, so one used again shows here
DEFERRED_OFF = ("re", "re._compiler", "urllib.parse", "ipaddress")


def test_check_offline_without_site_imports_no_contextlib(sample: Path, tmp_path: Path) -> None:
    """A warm text ``check --offline`` traced with ``-S`` (an editable install's finder, run by site,
    brings ``contextlib`` and ``pathlib`` to every start, ``python -c pass`` included, and would hide
    them): none of NOT_ON_CHECK, nor LEFT_CHECK (``contextlib``: the output's, the digest cache's and
    the folder lock's context managers are classes, or made when called), nor DEFERRED_OFF (started by
    the script's entry, ``start.cli``)."""
    import gtsd_tui
    from gtsd_tui.core.migrations.digest_cache import RACY_NS

    root = str(Path(gtsd_tui.__file__).resolve().parent.parent)
    code = f"import sys; sys.path.insert(0, {root!r}); from gtsd_tui.start import cli; sys.exit(cli())"
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    found = folders(sample, tmp_path)
    time.sleep(RACY_NS / 1e9 + 0.1)  # files written this instant are not cached (digest_cache: racy)
    for name, folder in found.items():
        argv = [sys.executable, "-S", "-X", "importtime", "-c", code, "check", "--offline", "--migrations", str(folder)]
        subprocess.run(argv, capture_output=True, env=env)  # fills the digest cache
        warm = subprocess.run(argv, capture_output=True, text=True, env=env)
        assert warm.returncode == 0, (name, warm.stderr[-2000:])
        modules = imported(warm.stderr)
        assert "gtsd_tui.core.merging.conflicts" in modules, name
        assert beyond_start(modules, (*NOT_ON_CHECK, *LEFT_CHECK, *DEFERRED_OFF), "-S") == [], name


def test_check_offline_on_a_conflicted_folder_imports_none_of_the_four(sample: Path) -> None:
    """Two migrations forking from one snapshot: the fork's three-way merge loads, and the SQL scan that
    tells overlapping branches apart parses with pglast (the one of the four this folder needs); no
    database driver, no Textual, no pygments."""
    add_migration(sample, "a_streaks", 'CREATE TABLE "streaks" ("id" serial);', 1_900_000_000_000)
    journal = json.loads((sample / "meta/_journal.json").read_text())
    snaps = sorted((sample / "meta").glob("*_snapshot.json"))
    fork = json.loads(snaps[-1].read_text())
    fork["id"] = "11111111-1111-4111-8111-111111111111"
    (sample / "meta/0005_snapshot.json").write_text(json.dumps(fork, indent=2))
    (sample / "0005_b_badges.sql").write_text('CREATE TABLE "badges" ("id" serial);')
    last = journal["entries"][-1]
    journal["entries"].append({**last, "idx": 5, "when": last["when"] + 1, "tag": "0005_b_badges"})
    (sample / "meta/_journal.json").write_text(json.dumps(journal, indent=2))
    r = run_traced("check", "--offline", "--json", "--migrations", str(sample))
    codes = [f["code"] for f in json.loads(r.stdout)["findings"]]
    assert r.returncode == 1 and "snapshot-fork" in codes, (codes, r.stderr[-2000:])
    modules = imported(r.stderr)
    assert "gtsd_tui.core.merging.snapshot_merge" in modules  # the fork was merged three-way
    assert not top_level(modules, ("psycopg", "textual", "pygments")), top_level(modules, FOUR)


def installed_repo(tmp_path: Path, sample: Path) -> Path:
    """``base_repo`` with ``gtsd-tui git install`` run in it (the driver and the hooks written)."""
    repo = base_repo(tmp_path, sample)
    r = subprocess.run(
        [sys.executable, *console_script(), "git", "install", "--migrations", str(repo / "migrations")],
        cwd=repo,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    return repo


def test_the_merge_driver_imports_none_of_the_four(tmp_path: Path, sample: Path) -> None:
    """A real ``git merge`` of two branches that each add a migration: git runs the driver install wrote,
    with ``-X importtime`` added; it merged the journal (the merge commits) and imported none of the four."""
    repo = installed_repo(tmp_path, sample)
    git(repo, "add", ".gitattributes")
    git(repo, "commit", "-qm", "install")
    log = tmp_path / "importtime.log"
    driver = git(repo, "config", "merge.gtsd-drizzle.driver").stdout.strip()
    assert driver.startswith(f"{sys.executable} -c ")
    # -S: no site, so nothing is imported before the driver's own code (an editable install's finder
    # would bring pathlib); gtsd_tui and the site-packages directory (msgspec, for the decision) are
    # put on the path instead, without their .pth files
    import msgspec

    import gtsd_tui

    dirs = (Path(gtsd_tui.__file__).resolve().parent.parent, Path(msgspec.__file__).resolve().parent.parent)
    root = shlex.quote(os.pathsep.join(map(str, dirs)))
    traced = driver.replace(sys.executable, f"PYTHONPATH={root} {sys.executable} -X importtime -S", 1) + f" 2>>{log}"
    git(repo, "config", "merge.gtsd-drizzle.driver", traced)
    for branch, suffix in (("a", "a_streaks"), ("b", "b_badges")):
        git(repo, "checkout", "-q", "main")
        git(repo, "checkout", "-qb", branch)
        add_migration(repo / "migrations", suffix, f'CREATE TABLE "{suffix}" ("id" serial);', 1_900_000_000_000)
        git(repo, "add", ".")
        git(repo, "commit", "-qm", branch)
    git(repo, "checkout", "-q", "a")
    m = git(repo, "merge", "b", "--no-edit", check=False)
    assert m.returncode == 0, m.stdout + m.stderr
    modules = imported(log.read_text())
    assert "gtsd_tui.services.git_merge" in modules
    assert not top_level(modules, FOUR), top_level(modules, FOUR)
    assert "argparse" not in modules and "gtsd_tui.cli" not in modules
    # one run per conflicted file: the first makes the decision, the others read it from the cache
    runs = [imported(part) for part in log.read_text().split("import time: self [us]")[1:]]
    assert len(runs) >= 2 and all("gtsd_tui.services.git_hooks" in run for run in runs), len(runs)
    assert "gtsd_tui.core.merging.renumber" in runs[0] and "gtsd_tui.core.merging.renumber" not in runs[-1]
    for run in runs[1:]:
        assert beyond_start(run, (*NOT_ON_DRIVER, *DEFERRED_OFF), "-S") == []


# the pre-commit hook `gtsd-tui git install` writes (``python -c ...entry() hook pre-commit``): no CLI, no
# argparse, and its git calls started with posix_spawn (no subprocess, with its threading and selectors)
NOT_ON_HOOK = (
    "argparse", "gtsd_tui.cli", "dataclasses", "typing", "msgspec", "inspect", "subprocess", "threading",
    "selectors", "locale", "shutil", "tempfile", "signal", "urllib.parse", "ipaddress",
)  # fmt: skip


@pytest.mark.parametrize("case", ["sound", "refused"])
def test_the_installed_pre_commit_hook_as_git_commit_runs_it(tmp_path: Path, sample: Path, case: str) -> None:
    """A real ``git commit`` fires the pre-commit hook ``gtsd-tui git install`` wrote (its command traced
    with ``-X importtime``): the folder was checked (a sound one lets the commit through, a broken one is
    refused with its one line), none of the four and none of NOT_ON_HOOK were imported."""
    repo = installed_repo(tmp_path, sample)
    hook = repo / ".git/hooks/pre-commit"
    log = tmp_path / "importtime.log"
    python = shlex.quote(sys.executable)
    command = f"{python} -c "
    text = hook.read_text()
    assert command in text and ' hook pre-commit --migrations migrations "$@" || status=$?' in text
    traced = text.replace(command, f"{python} -X importtime -c ").replace(
        ' hook pre-commit --migrations migrations "$@" ||', f' hook pre-commit --migrations migrations "$@" 2>>{log} ||'
    )
    hook.write_text(traced)
    add_migration(repo / "migrations", "more", 'CREATE TABLE "more" ("id" serial);', 1_900_000_000_000)
    if case == "refused":  # a journal entry without its file
        (repo / "migrations/0002_partners.sql").unlink()
    git(repo, "add", "-A")
    c = git(repo, "commit", "-qm", "more", check=False)
    modules = imported(log.read_text())
    assert "gtsd_tui.core.merging.conflicts" in modules and "gtsd_tui.services.git_hooks" in modules  # it checked
    if case == "sound":
        assert c.returncode == 0, c.stderr + log.read_text()[-2000:]
    else:
        refused = [ln for ln in log.read_text().splitlines() if ln.startswith("gtsd-tui pre-commit: refused: ")]
        assert c.returncode == 1 and refused and "missing-file" in refused[0], log.read_text()[-2000:]
    assert not top_level(modules, FOUR), top_level(modules, FOUR)
    assert beyond_start(modules, NOT_ON_HOOK) == []


@pytest.mark.parametrize("fmt", ["text", "json", "github", "sarif"])
def test_lint_of_one_file_imports_pglast_and_none_of_the_other_three(sample: Path, tmp_path: Path, fmt: str) -> None:
    """Also none of NOT_ON_LINT (msgspec and what it brings among them), in every output format, on a file
    of the sample folder and on the largest of dittofeed's (run from a project holding that folder as
    ``drizzle/``, so its snapshots are read for the hand-written check)."""
    files = [(sample / "0001_onboarding.sql", sample.parent)]
    if DITTOFEED.is_dir():
        folder = Path(shutil.copytree(DITTOFEED, tmp_path / "ditto" / "drizzle"))
        files.append((max(folder.glob("*.sql"), key=lambda p: p.stat().st_size), folder.parent))
    from gtsd_tui.core.migrations.digest_cache import RACY_NS

    time.sleep(RACY_NS / 1e9 + 0.1)  # files written this instant are not cached (the warm run reads the cache)
    for path, cwd in files:
        r = run_traced("lint", "--format", fmt, str(path), cwd=cwd)
        assert r.returncode in (0, 1), r.stderr[-2000:]
        modules = imported(r.stderr)
        assert "pglast.parser" in modules and "gtsd_tui.core.lint.tree" in modules  # it parsed, read the tree
        assert "gtsd_tui.core.migrations.snapshots" in modules  # and the folder's snapshots
        assert not top_level(modules, ("psycopg", "textual", "pygments")), top_level(modules, FOUR)
        warm = run_traced("lint", "--format", fmt, str(path), cwd=cwd)
        assert (warm.returncode, warm.stdout) == (r.returncode, r.stdout) and "syntax-error" not in r.stdout
        assert r.stdout.strip() and "Traceback" not in r.stderr, path
        # the text and github formats read the parse tree with json's C scanner alone (node.loads) and
        # write no JSON: no json package; the console script's entry defers urllib.parse (start.py)
        banned = (*NOT_ON_LINT, "urllib.parse", "ipaddress")
        banned += ("json", "json.decoder", "json.encoder") if fmt in ("text", "github") else ()
        assert beyond_start(imported(warm.stderr), banned) == [], path


@pytest.mark.parametrize("module", ["psycopg", "argparse", "dataclasses", "typing", "hashlib"])
def test_an_injected_import_is_seen(sample: Path, module: str) -> None:
    """The detector itself: the same ``check --offline`` run with one of the modules it keeps off the path
    imported first is caught."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    code = f"import sys, {module}; from gtsd_tui.cli import main; sys.exit(main())"
    r = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code, "check", "--offline", "--migrations", str(sample)],
        capture_output=True,
        text=True,
        env=env,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    modules = imported(r.stderr)
    assert module in modules
    assert top_level(modules, FOUR) if module == "psycopg" else beyond_start(modules, NOT_ON_CHECK)


@pytest.mark.parametrize("module", ["msgspec", "typing", "dataclasses", "threading"])
def test_an_injected_import_on_the_lint_path_is_seen(sample: Path, module: str) -> None:
    """The detector on lint's path: the same ``lint`` of one file with msgspec (or typing, dataclasses,
    threading) imported first is caught."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    code = f"import sys, {module}; from gtsd_tui.cli import main; sys.exit(main())"
    r = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code, "lint", str(sample / "0001_onboarding.sql")],
        capture_output=True,
        text=True,
        env=env,
    )
    assert r.returncode in (0, 1), r.stderr[-2000:]
    assert module in beyond_start(imported(r.stderr), NOT_ON_LINT)


SNAPSHOT_TEXTS = {
    "drizzle-kit": json.dumps({"id": "a", "prevId": "b", "version": "7", "dialect": "postgresql", "tables": {}}),
    "duplicate id": '{"id": "a", "prevId": "b", "id": "c"}',
    "number ids": '{"id": 1, "prevId": 2.5, "version": 7}',
    "NaN elsewhere": '{"id": "a", "prevId": "b", "x": NaN}',
    "long number": '{"id": "a", "prevId": "b", "x": ' + "9" * 60 + "}",
    "deep": '{"id": "a", "prevId": "b", "x": ' + "[" * 3000 + "]" * 3000 + "}",
    "not an object": "[1, 2]",
    "broken": '{"id": "a",\n "prevId": }',
    "empty": "",
}


@pytest.mark.parametrize("name", sorted(SNAPSHOT_TEXTS))
def test_snapshot_ids_read_with_json_first_equal_msgspecs(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A small folder's snapshots are read with the json module (no msgspec import); a large one's with
    msgspec: the same ids, version, dialect and error either way."""
    from gtsd_tui.core.migrations import snapshots

    text = SNAPSHOT_TEXTS[name]
    monkeypatch.setattr(snapshots, "_json_read", [0, 0])
    json_first = snapshots.parse_snapshot("0001_snapshot.json", text)
    monkeypatch.setattr(snapshots, "_json_read", [snapshots.JSON_FIRST_BYTES, 0])
    msgspec_first = snapshots.parse_snapshot("0001_snapshot.json", text)
    assert json_first == msgspec_first
    assert [(s.id, s.prev_id, s.version, s.error) for s in json_first] == [
        (s.id, s.prev_id, s.version, s.error) for s in msgspec_first
    ]


HOOK_FORMS = [
    ["check", "--offline"],
    ["check", "--offline", "--json", "--migrations", "m"],
    ["--json", "check", "--offline", "--format", "github"],
    ["--migrations", "a", "check", "--migrations", "b", "--offline", "--format", "sarif"],
    ["--database-url", "postgresql://u:p@h/d", "--env", "ci", "check", "--migrations-schema", "s"],
    ["check", "--migrations-table", "t", "--base", "main", "--format", "text"],
    ["lint", "a.sql"],
    ["lint", "a.sql", "b.sql", "--format", "json"],
    ["lint", "--json", "-e", "x", "a.sql", "-e", "y", "--include", "z", "-i", "w"],
    ["lint", "--pg-version", "13", "-c", "s.toml", "--stdin-filepath", "n.sql", "--assume-in-transaction"],
    ["lint", "--no-assume-in-transaction", "--config", "s.toml", "--exclude", "x"],
    ["--migrations", "m", "lint", "check"],  # a file named like a command
    # the console (no command): its start reads them without argparse too
    [],
    ["--read-only"],
    ["--migrations", "m", "--database-url", "postgresql://u@h/d", "--read-only"],
    ["--json", "--env", "ci", "--migrations-schema", "s", "--migrations-table", "t", "--migrations", "a"],
]
# read by argparse (None from the hand reader): help, other commands, other spellings, errors
ARGPARSE_FORMS = [
    ["status"],
    ["--read-only=1"],
    ["--migrations"],
    ["--migrations", "-m"],
    ["--migration", "m"],
    ["stray"],
    ["-h"],
    ["--read-only", "--version"],
    ["check", "--help"],
    ["check", "-h"],
    ["--version", "check"],
    ["check", "--offlin"],
    ["check", "--migrations=m"],
    ["check", "--migrations"],
    ["check", "--migrations", "-x"],
    ["check", "extra"],
    ["check", "--format", "xml"],
    ["--read-only", "check"],
    ["lint", "-"],
    ["lint", "--", "a.sql"],
    ["lint", "a.sql", "--format", "json", "b.sql"],
    ["lint", "--explain"],
    ["lint", "--pg-version", "-1", "a.sql"],
    ["lint", "-ex", "a.sql"],
    ["check", "lint"],
]


@pytest.mark.parametrize("argv", HOOK_FORMS, ids=" ".join)
def test_the_hand_read_hook_forms_read_as_argparse_reads_them(argv: list[str]) -> None:
    """``check`` and ``lint`` in the forms hooks use are read without argparse (issue 27): the same
    attributes, the same values as the full parser gives."""
    from gtsd_tui.cli import hook_args
    from gtsd_tui.cli_parser import build_parser

    fast = hook_args(argv)
    assert fast is not None
    assert vars(fast) == vars(build_parser().parse_args(argv))


@pytest.mark.parametrize("argv", ARGPARSE_FORMS, ids=lambda a: " ".join(a) or "(none)")
def test_every_other_form_goes_to_argparse(argv: list[str]) -> None:
    from gtsd_tui.cli import hook_args

    assert hook_args(argv) is None


@pytest.mark.parametrize("data", [b"", b"abc", "/home/ü/proj/drizzle".encode(), bytes(range(256)) * 300])
def test_the_builtin_sha256_gives_hashlibs_digest(data: bytes) -> None:
    """The folder's workspace name and the digest cache's file name are hashed without hashlib (its
    OpenSSL load is a start-up cost): the same hex digest, so existing caches and workspaces are found."""
    import hashlib

    from gtsd_tui.core.keys import sha256_hex
    from gtsd_tui.services.folder_space import folder_hash

    assert sha256_hex(data) == hashlib.sha256(data).hexdigest()
    folder = Path(data.decode("utf-8", "replace")[:40].replace("\0", "") or "x")
    assert folder_hash(folder) == hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:16]


CHILDREN = {
    "outputs": "import sys; sys.stdout.write('o' * 300000); sys.stderr.write('e' * 300000); sys.stdout.write('!')",
    "exit code": "import sys; sys.stderr.write('no such ref'); sys.exit(128)",
    "signal": "import os, signal; os.kill(os.getpid(), signal.SIGTERM)",
}
# the environment, and which signals the child ignores (a Python child would ignore SIGPIPE by itself)
PROBE = ["sh", "-c", "echo $GTSD_SPAWN_PROBE; grep SigIgn /proc/self/status"]


@pytest.mark.parametrize("name", [*sorted(CHILDREN), "environment and signals"])
def test_the_drivers_git_calls_run_as_subprocess_runs_them(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The driver starts its two git calls with ``os.posix_spawnp`` (no subprocess import): the same
    exit code (``-signal`` for a signal), the same outputs (both read as they come: 300 kB on each
    stream), the same environment and default SIGPIPE in the child as ``subprocess.run`` gives."""
    from gtsd_tui.services.git_merge import _spawned

    monkeypatch.setenv("GTSD_SPAWN_PROBE", "seen")
    argv = PROBE if name == "environment and signals" else [sys.executable, "-c", CHILDREN[name]]
    if argv is PROBE and not Path("/proc/self/status").exists():
        pytest.skip("no /proc here to read a child's ignored signals")
    got = _spawned(argv)
    want = subprocess.run(argv, capture_output=True, timeout=60)
    if argv is PROBE:  # glibc's posix_spawn leaves its two reserved signals (32, 33) ignored in the child;
        # glibc sets their handlers again when the child starts (git does), so only the others are compared
        seen, ignored = got.stdout.decode().split("\n")[:2]
        want_seen, want_ignored = want.stdout.decode().split("\n")[:2]
        mask = ~((1 << 31) | (1 << 32))
        assert seen == want_seen == "seen", got.stdout
        assert int(ignored.split()[1], 16) & mask == int(want_ignored.split()[1], 16) & mask, (ignored, want_ignored)
        assert not int(ignored.split()[1], 16) & ((1 << (signal.SIGPIPE - 1)) | (1 << (signal.SIGXFSZ - 1)))
        return
    assert (got.returncode, got.stdout, got.stderr) == (want.returncode, want.stdout, want.stderr)
    assert got.returncode == {"exit code": 128, "signal": -15}.get(name, 0)


def test_a_git_call_that_hangs_is_killed(monkeypatch: pytest.MonkeyPatch) -> None:
    from gtsd_tui.services import git_merge

    monkeypatch.setattr(git_merge, "GIT_TIMEOUT", 0.5)
    with pytest.raises(subprocess.TimeoutExpired):
        git_merge._spawned([sys.executable, "-c", "import time; time.sleep(60)"])


def test_git_in_another_directory_or_with_input_goes_through_subprocess(tmp_path: Path) -> None:
    from gtsd_tui.services.git_merge import git

    git_dir = git(tmp_path, "rev-parse", "--git-dir")  # not a repository: git's error, from tmp_path
    assert git_dir.returncode == 128 and b"not a git repository" in git_dir.stderr
    hashed = git(tmp_path, "hash-object", "--stdin", stdin=b"x\n")
    assert hashed.returncode == 0 and hashed.stdout.strip() == b"587be6b4c3f93f93c489c0111bba5596147a26cb"


@pytest.mark.pg
def test_a_warm_status_imports_no_psycopg_in_the_parent_nor_its_child(cli, sample: Path, pg_url: str) -> None:
    """``status --json`` with a configured database, warm (digests cached, the clean drift comparison
    recorded): the forked child reads the database side through the bundled libpq (db/status_lite.py)
    and neither it nor the parent imports psycopg (the child's ``-X importtime`` lines go to the same
    stderr). The control: with a client encoding the libpq read refuses, the child reads over psycopg
    as before, the same output, and its import is seen."""
    from gtsd_tui.core.migrations.digest_cache import RACY_NS

    r = cli("migrate", "--migrations", str(sample), "--database-url", pg_url, "--to", "0002_partners")
    assert r.returncode == 0, r.stderr
    time.sleep(RACY_NS / 1e9 + 0.1)  # files written this instant are not cached (digest_cache: racy)
    args = ("status", "--json", "--migrations", str(sample), "--database-url", pg_url)
    run_traced(*args)  # fills the digest cache, records the clean drift comparison
    warm = run_traced(*args)
    assert warm.returncode == 0, warm.stderr[-2000:]
    assert json.loads(warm.stdout)["schema"]["fingerprint_matched"] is True
    modules = imported(warm.stderr)
    assert "gtsd_tui.db.status_lite" in modules  # the child read through libpq
    assert top_level(modules, FOUR) == []
    control = run_traced(*args, env={"PGCLIENTENCODING": "LATIN1"})
    assert (control.returncode, control.stdout) == (0, warm.stdout)
    assert "psycopg" in top_level(imported(control.stderr), FOUR)
