"""The real drizzle-orm / drizzle-kit 1.0.0-rc.5 from npm, in their own cache folder (next to the 0.45/0.31 one)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

from tests.helpers.kit_cache import kit_run
from tests.helpers.node import ensure_node_packages, install_packages

PACKAGES = ["drizzle-orm@1.0.0-rc.5", "drizzle-kit@1.0.0-rc.5", "postgres@3.4.9"]
RUNNER = Path(__file__).with_name("drizzle_runner_v1.mjs")


def node_v1_dir() -> Path:
    return Path(os.environ.get("GTSD_NODE_V1_DIR", Path.home() / ".cache" / "gtsd-tui" / "node-v1"))


def ensure_v1_packages() -> Path:
    base = install_packages(node_v1_dir(), PACKAGES, "gtsd-interop-v1")
    target = base / RUNNER.name  # replaced atomically, and only when it differs: another worker may be
    if not target.exists() or target.read_bytes() != RUNNER.read_bytes():  # running node on it right now
        tmp = base / f".{RUNNER.name}.{os.getpid()}"
        shutil.copy(RUNNER, tmp)
        os.replace(tmp, target)
    return base


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env={**os.environ, **(env or {})}, capture_output=True, text=True, timeout=180)


def v1_migrate(url: str, folder: Path) -> subprocess.CompletedProcess[str]:
    base = ensure_v1_packages()
    return _run(["node", RUNNER.name, "migrate", str(folder.resolve())], base, {"DATABASE_URL": url})


def v1_rows(url: str) -> list[dict]:
    base = ensure_v1_packages()
    out = _run(["node", RUNNER.name, "rows"], base, {"DATABASE_URL": url})
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def link_modules(project: Path, base: Path) -> None:
    link = project / "node_modules"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(base / "node_modules")


def kit_v1(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``drizzle-kit <args>`` (rc.5) run in ``project`` (relative ``--out``: the kit prefixes ``./``)."""
    base = ensure_v1_packages()
    link_modules(project, base)
    cmd = [str(base / "node_modules" / ".bin" / "drizzle-kit"), *args]
    return kit_run(cmd, project, lambda: _run(cmd, project))


_last_generate = 0  # the second the last generate_v1 ended in


def generate_v1(
    project: Path, name: str, *, custom: bool = False, out: str = "drizzle", schema: str = "./schema.ts"
) -> Path:
    """``drizzle-kit generate`` from ``project/schema.ts``; returns the new migration folder.

    Each call starts in a later second than the last one ended: drizzle-kit 1.0 names a migration by
    the second, and two generated within one (two branches of a test, on a fast machine) got the same
    prefix, which no two people on two branches would."""
    global _last_generate
    while int(time.time()) <= _last_generate:
        time.sleep(0.05)
    before = set(os.listdir(project / out)) if (project / out).is_dir() else set()
    args = ["generate", "--dialect", "postgresql", "--schema", schema, "--out", f"./{out}", "--name", name]
    r = kit_v1(project, *args, *(["--custom"] if custom else []))
    _last_generate = int(time.time())
    assert r.returncode == 0, r.stdout + r.stderr
    (new,) = set(os.listdir(project / out)) - before
    return project / out / new


def check_v1(project: Path, out: str = "drizzle") -> subprocess.CompletedProcess[str]:
    return kit_v1(project, "check", "--dialect", "postgresql", "--out", f"./{out}")


def up_v1(project: Path, out: str = "drizzle") -> subprocess.CompletedProcess[str]:
    """``drizzle-kit up`` (rc.5): v0 journal folder to v1 folders; needs nothing beyond the installed kit."""
    return kit_v1(project, "up", "--dialect", "postgresql", "--out", f"./{out}")


def _next_second_after_last_when(journal: Path) -> None:
    """Wait until the clock is a second past the journal's last ``when``: drizzle-kit up names folders by
    the second, and two migrations generated within one second (a fast machine) collide or sort wrong."""
    import json
    import time

    if not journal.exists():
        return
    entries = json.loads(journal.read_text()).get("entries") or []
    if entries:
        last_second = int(entries[-1]["when"]) // 1000
        while int(time.time()) <= last_second:
            time.sleep(0.05)


def generate_v0(project: Path, name: str, out: str = "drizzle") -> None:
    """``drizzle-kit generate`` with the 0.31 kit (journal layout) from ``project/schema.ts``."""
    base = ensure_node_packages()
    link_modules(project, base)
    kit = str(base / "node_modules" / ".bin" / "drizzle-kit")
    args = ["generate", "--dialect", "postgresql", "--schema", "./schema.ts", "--out", f"./{out}", "--name", name]
    _next_second_after_last_when(project / out / "meta" / "_journal.json")
    r = kit_run([kit, *args], project, lambda: _run([kit, *args], project))
    assert r.returncode == 0, r.stdout + r.stderr
