"""pglast's first import from several threads at once (a rehearsal loads the parser beside the run
while the main thread splits statements): never a partially initialised module."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import gtsd_tui


def at_once(imports: str, *calls: str) -> str:
    """A script that runs ``calls`` (Python expressions) in threads started together and prints the
    errors they raised (``[]``: none)."""
    return (
        f"import threading\n{imports}\nstart = threading.Barrier({len(calls)})\nerrors = []\n"
        "def go(fn):\n    start.wait()\n    try:\n        fn()\n    except Exception as exc:\n"
        "        errors.append(repr(exc))\n"
        f"ts = [threading.Thread(target=go, args=(f,)) for f in ({', '.join(calls)},)]\n"
        "[t.start() for t in ts]\n[t.join() for t in ts]\nprint(errors)\n"
    )


def run_at_once(script: str, times: int = 10) -> None:
    for _ in range(times):
        r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
        assert r.returncode == 0 and r.stdout.strip() == "[]", r.stdout + r.stderr


FOUR = (
    "_load_the_run",
    'lambda: stmt_split.relations("ALTER TABLE a ADD b int")',
    'lambda: stmt_split.first_token("-- c\\nSELECT 1")',
    'lambda: sqlinfo.parse("SELECT 1")',
)
SCRIPT = at_once(
    "from gtsd_tui.core.sql import stmt_split, sqlinfo\nfrom gtsd_tui.services.rehearse import _load_the_run", *FOUR
)


def test_first_import_from_four_threads_at_once() -> None:
    run_at_once(SCRIPT)


DEFERRED = """
import sys, threading
from gtsd_tui.core.sql.pglast_load import lint_parser
parser = lint_parser()
ran = lambda name: '__getattr__' not in vars(sys.modules[name])
print(parser.split("select 1; select 2", only_slices=True), ran('pglast'), ran('pglast.ast'), ran('pglast.enums'))
print(len(parser.parse_sql_json("select 1")) > 0, ran('pglast'), ran('pglast.ast'), ran('pglast.enums'))
import pglast
from pglast import ast, enums
from pglast.stream import RawStream
tree = pglast.parse_sql("CREATE TABLE t (a int); ALTER TABLE t DROP COLUMN a CASCADE")
print(type(tree[0].stmt).__name__, isinstance(tree[0].stmt, ast.CreateStmt), enums.ObjectType.OBJECT_TABLE.name)
print(RawStream()(tree), ran('pglast'), ran('pglast.ast'), ran('pglast.enums'))
"""


def test_lint_parser_defers_ast_and_enums_until_used() -> None:
    """``lint`` loads pglast's parser without running the package, ``pglast.ast`` and ``pglast.enums``
    (issue 27: three quarters of pglast's import time); whatever looks at them later gets the real
    modules, run on first use: the same trees, classes, enums and printed SQL as a plain import."""
    r = subprocess.run([sys.executable, "-c", DEFERRED], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    plain = subprocess.run(
        [sys.executable, "-c", DEFERRED.replace("parser = lint_parser()", "import pglast.parser as parser")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines, want = r.stdout.splitlines(), plain.stdout.splitlines()
    assert lines[0] == "(slice(0, 8, None), slice(10, 18, None)) False False False"  # split ran, nothing else
    assert lines[1] == "True False False False"
    assert lines[2] == want[2] == "CreateStmt True OBJECT_TABLE"
    assert lines[3] == want[3] and lines[3].endswith("True True True"), (lines, want)


def test_lint_parser_and_the_full_import_from_threads_at_once() -> None:
    """The deferred modules are run under the same lock as :func:`ensure_pglast`: a lint in one thread
    and the full import in others, started together, never see a half-run module."""
    run_at_once(
        at_once(
            "from gtsd_tui.core.sql import stmt_split, sqlinfo\nfrom gtsd_tui.services.rehearse import _load_the_run\n"
            "from gtsd_tui.core.sql.pglast_load import lint_parser",
            *FOUR,
            'lambda: lint_parser().split("select 1")',
        )
    )


FINDINGS_AND_PREVIEW = at_once(
    "from gtsd_tui.core.lint import lint_text\nfrom gtsd_tui.core.sql.sql_objects import sql_touches",
    'lambda: lint_text("0000_a.sql", "CREATE TABLE a (id int);")',
    'lambda: sql_touches("ALTER TABLE a ADD b int;")',
)


def test_the_consoles_findings_and_preview_workers_load_pglast_at_once() -> None:
    """The console's first findings (a fork's touched objects) and its first preview (lint of the
    file) load pglast at the same moment: both failed with "partially initialized module" while the
    first went past ensure_pglast."""
    run_at_once(FINDINGS_AND_PREVIEW)


def pglast_imports_without_the_loader(root: Path) -> list[str]:
    """Functions of the package that import pglast without going through ``ensure_pglast`` or
    ``lint_parser`` first (a plain import racing the loader's in another thread)."""
    found = []
    for path in sorted(root.rglob("*.py")):
        if path.name == "pglast_load.py":
            continue
        src = path.read_text()
        for fn in ast.walk(ast.parse(src)):
            if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            imports = [
                n.lineno
                for n in ast.walk(fn)
                if (isinstance(n, ast.ImportFrom) and (n.module or "").split(".")[0] == "pglast")
                or (isinstance(n, ast.Import) and any(a.name.split(".")[0] == "pglast" for a in n.names))
            ]
            if not imports:
                continue
            calls = [
                n.lineno
                for n in ast.walk(fn)
                if isinstance(n, ast.Call)
                and isinstance(n.func, ast.Name)
                and n.func.id in ("ensure_pglast", "lint_parser")
            ]
            if not calls or min(calls) > min(imports):
                found.append(f"{path.relative_to(root.parent)}:{fn.lineno} {fn.name}")
    return found


def test_every_import_of_pglast_goes_through_the_loader() -> None:
    assert pglast_imports_without_the_loader(Path(gtsd_tui.__file__).parent) == []


def test_the_loader_rule_sees_a_plain_import(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "a.py").write_text("def f():\n    from pglast import parser\n    return parser\n")
    (pkg / "b.py").write_text("def g():\n    ensure_pglast()\n    import pglast\n    return pglast\n")
    (pkg / "c.py").write_text("def h():\n    import pglast.parser\n    ensure_pglast()\n")
    assert pglast_imports_without_the_loader(pkg) == ["pkg/a.py:1 f", "pkg/c.py:1 h"]


PARSER_WHILE_LOADING = """
import sys, threading
from gtsd_tui.core.sql import pglast_load
bad = []
done = threading.Event()
go = threading.Barrier(2)
def spin():
    go.wait()
    while not done.is_set():
        if "pglast.parser" in sys.modules:  # the full import has begun in the other thread
            if not hasattr(pglast_load.lint_parser(), "ParseError"):
                bad.append(1)
            return
def load():
    go.wait()
    pglast_load.ensure_pglast()
    done.set()
t = threading.Thread(target=spin)
t.start()
load()
t.join()
print(bad)
"""


def test_the_lint_parser_asked_while_the_full_import_runs_is_the_whole_module() -> None:
    """lint_parser() took ``pglast.parser`` from sys.modules while ensure_pglast was still running its
    import in another thread: lint then failed with "partially initialized module 'pglast.parser' has
    no attribute 'ParseError'" (seen once in a full run; this spin caught it every time)."""
    run_at_once(PARSER_WHILE_LOADING, times=5)
