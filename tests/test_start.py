"""``gtsd_tui/start.py``: the entries' deferred standard modules (``re``, ``urllib.parse``, and the
rest of what ``pathlib`` imports: ``ntpath``, ``fnmatch``, ``warnings``) behave as the
modules themselves once anything uses them, and are not run when nothing does. Each case runs in a fresh
interpreter (``-S``, so no site and no editable-install finder has imported them before)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import gtsd_tui

ROOT = str(Path(gtsd_tui.__file__).resolve().parent.parent)
PURELIB = str(Path(__import__("psycopg").__file__).resolve().parent.parent)  # site-packages, without its .pth


def run(code: str, *flags: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    prelude = f"import sys\nsys.path.insert(0, {ROOT!r})\nfrom gtsd_tui import start\n"
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return subprocess.run(
        [sys.executable, "-S", *flags, "-c", prelude + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
    )


def ok(code: str, *flags: str) -> str:
    r = run(code, *flags)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_a_deferred_module_is_not_run_until_used_then_is_the_module_itself() -> None:
    out = ok(
        """
        start.defer_stdlib()
        import re
        stub = sys.modules["re"]
        print("enum" in sys.modules, "compile" in vars(stub))
        pat = re.compile(r"(\\d+)_(.+)")
        print(pat.match("0001_init").groups(), sys.modules["re"] is stub, "compile" in vars(stub))
        print(isinstance(pat, re.Pattern), re.sub("a", "b", "banana"), "enum" in sys.modules)
        """
    )
    assert out.split("\n")[:3] == [
        "False False",
        "('0001', 'init') True True",
        "True bbnbnb True",
    ]


def test_from_imports_and_star_imports_run_it() -> None:
    out = ok(
        """
        start.defer_stdlib()
        from urllib.parse import urlsplit
        print(urlsplit("postgres://u@h:5/db").port)
        start.defer_stdlib()
        namespace = {}
        exec("from re import *", namespace)
        print("compile" in namespace, "sub" in namespace)
        """
    )
    assert out.split() == ["5", "True", "True"]


def test_urllib_parse_reached_through_the_package_attribute() -> None:
    out = ok(
        """
        start.defer_stdlib()
        import urllib
        import urllib.parse
        from urllib import parse
        print(parse is sys.modules["urllib.parse"] is urllib.parse, "quote" in vars(parse))
        print(urllib.parse.quote("a b"), "quote" in vars(parse))
        """
    )
    assert out.split("\n")[:2] == ["True False", "a%20b True"]


def test_pathlib_imported_after_it_does_not_run_it_and_as_uri_still_works() -> None:
    """pathlib takes ``quote_from_bytes`` by name at its import: the stand-in runs the module when called."""
    out = ok(
        """
        start.defer_stdlib()
        import pathlib
        print("urllib.parse" in sys.modules, "quote_from_bytes" in vars(sys.modules["urllib.parse"]))
        print("ipaddress" in sys.modules, "re._compiler" in sys.modules)
        print(pathlib.PurePosixPath("/tmp/a b/é").as_uri(), "ipaddress" in sys.modules)
        print(sorted(p.name for p in pathlib.Path(sys.prefix).glob("lib*"))[:1] != [])
        """
    )
    lines = out.split("\n")
    assert lines[0] == "True True"  # registered, with the stand-in only
    assert lines[1] == "False False"
    assert lines[2] == "file:///tmp/a%20b/%C3%A9 True"
    assert lines[3] == "True"  # globbing (fnmatch -> re) works


def test_pathlib_leaves_windows_paths_globbing_and_warnings_unrun_until_used() -> None:
    out = ok(
        """
        start.defer_stdlib()
        import pathlib
        ran = lambda name: name in sys.modules and "__getattr__" not in vars(sys.modules[name])
        print(ran("ntpath"), ran("fnmatch"), ran("warnings"))
        print(pathlib.PureWindowsPath("C:/a/b").parts, pathlib.PurePath("a/b.sql").match("*.sql"))
        import fnmatch
        import ntpath
        print(fnmatch.fnmatch("x.sql", "*.sql"), ntpath.join("a", "b"), ran("fnmatch"), ran("ntpath"))
        """
    )
    assert out.split("\n")[:3] == ["False False False", "('C:\\\\', 'a', 'b') True", "True a\\b True True"]


def test_a_warning_from_the_interpreter_runs_the_deferred_warnings_module() -> None:
    """C code looks the module's attributes up (its filters, its way of showing): the first one runs it,
    and the warning shows as without the deferral; a filter set through the module applies."""
    r = run(
        """
        start.defer_stdlib()
        class D(complex):
            pass
        class C:
            def __complex__(self):
                return D(1)
        print("filters" in vars(sys.modules["warnings"]))
        complex(C())
        print("filters" in vars(sys.modules["warnings"]))
        import warnings
        warnings.simplefilter("error")
        try:
            complex(C())
        except DeprecationWarning:
            print("raised")
        """
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.split("\n")[:3] == ["False", "True", "raised"]
    assert "DeprecationWarning: __complex__ returned non-complex" in r.stderr


def test_a_module_already_imported_is_left_as_it_is() -> None:
    out = ok(
        """
        import re
        before = sys.modules["re"]
        start.defer_stdlib()
        print(sys.modules["re"] is before, "compile" in vars(sys.modules["re"]))
        """
    )
    assert out.split() == ["True", "True"]


def test_threads_using_it_at_once_run_it_once() -> None:
    out = ok(
        """
        start.defer_stdlib()
        import _thread, time
        runs = []
        loader = sys.modules["re"].__spec__.loader
        real_exec = loader.exec_module
        def counted(module):
            runs.append(1)
            time.sleep(0.05)  # a slow first use: the other threads arrive meanwhile
            real_exec(module)
        loader.exec_module = counted
        got, done = [], _thread.allocate_lock()
        def use():
            import re
            got.append(re.fullmatch("x+", "xxx") is not None)
        for _ in range(8):
            _thread.start_new_thread(use, ())
        for _ in range(1000):  # (a thread that failed never appends: bounded)
            if len(got) == 8:
                break
            time.sleep(0.01)
        print(len(runs), len(got), all(got))
        """
    )
    assert out.split() == ["1", "8", "True"]


def test_a_module_whose_code_fails_is_not_left_imported(tmp_path: Path) -> None:
    (tmp_path / "broken_mod.py").write_text("VALUE = 1\nraise RuntimeError('broken at import')\n")
    r = run(
        f"""
        sys.path.insert(0, {str(tmp_path)!r})
        start._defer("broken_mod", ())
        import broken_mod
        try:
            broken_mod.VALUE
        except RuntimeError as exc:
            print("raised", exc, "broken_mod" in sys.modules)
        """
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.split("\n")[0] == "raised broken at import False"


@pytest.mark.parametrize("used", [True, False])
def test_importtime_shows_a_deferred_module_when_it_runs(used: bool) -> None:
    r = run(
        """
        start.defer_stdlib()
        import re
        if USED:
            re.compile("a")
        """.replace("USED", str(used)),
        "-X",
        "importtime",
    )
    assert r.returncode == 0, r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.startswith("import time:") and ln.split("|")[-1].strip() == "re"]
    assert len(lines) == (1 if used else 0), r.stderr[-1500:]


def test_the_entries_defer_and_still_run_every_command(sample: Path) -> None:
    """The script's entry, as pip's script calls it (which leaves through ``os._exit``: traced with
    ``-X importtime``), on ``check --offline``, which then never runs ``urllib.parse`` nor imports
    ``ipaddress``, and on a command that parses a URL, which does."""

    def ran(r: subprocess.CompletedProcess[str]) -> set[str]:
        return {ln.split("|")[-1].strip() for ln in r.stderr.splitlines() if ln.startswith("import time:")}

    code = f"sys.path.append({PURELIB!r})\nsys.argv[1:] = ARGS\nsys.exit(start.cli())\n"
    check = run(code.replace("ARGS", repr(["check", "--offline", "--migrations", str(sample)])), "-X", "importtime")
    assert check.returncode == 0 and check.stdout == "no problems found\n", check.stderr[-2000:]
    assert "gtsd_tui.core.merging.conflicts" in ran(check)  # (the trace is read)
    assert not {"urllib.parse", "ipaddress", "ntpath", "fnmatch", "warnings"} & ran(check)
    url = "postgresql://nobody:s3cret@127.0.0.1:1/none?connect_timeout=1"
    argv = ["status", "--database-url", url, "--migrations", str(sample)]
    status = run(code.replace("ARGS", repr(argv)), "-X", "importtime")
    assert status.returncode == 3 and {"urllib.parse", "ipaddress"} <= ran(status), status.stderr[-2000:]
    assert "127.0.0.1" in status.stderr and "s3cret" not in status.stderr + status.stdout


def test_the_collector_paused_for_the_imports_is_resumed_only_by_its_pauser() -> None:
    out = ok(
        """
        import gc
        start.pause_gc()
        paused = gc.isenabled()
        start.resume_gc()
        resumed = gc.isenabled()
        gc.disable()  # someone else's pause: resume_gc leaves it alone
        start.resume_gc()
        print(paused, resumed, gc.isenabled())
        """
    )
    assert out.split() == ["False", "True", "False"]


@pytest.mark.parametrize(("argv", "collecting"), [(["status"], True), (["check", "--offline"], False)])
def test_a_command_runs_with_the_collector_unless_a_hook_form(sample: Path, argv: list[str], collecting: bool) -> None:
    """Through the script's entry: the command's module is imported with the collector paused; ``status``
    runs with it on again, the hook form ``check --offline`` (whose work pauses it anyway) without."""
    r = run(
        f"""
        import gc
        sys.argv[1:] = {[*argv, "--migrations", str(sample)]!r}
        import gtsd_tui.commands.status, gtsd_tui.commands.check
        for mod in (gtsd_tui.commands.status, gtsd_tui.commands.check):
            def run(args, project):
                print("collecting:", gc.isenabled(), file=sys.stderr)
                return 0
            mod.run = run
        start.cli()
        """
    )
    assert f"collecting: {collecting}" in r.stderr, r.stderr
