"""The real drizzle-orm / drizzle-kit from npm, installed once into a cache folder."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers.kit_cache import kit_run

PACKAGES = ["drizzle-orm@0.45.4", "drizzle-kit@0.31.11", "postgres@3.4.9"]
RUNNER = Path(__file__).with_name("drizzle_runner.mjs")


def node_dir() -> Path:
    return Path(os.environ.get("GTSD_NODE_DIR", Path.home() / ".cache" / "gtsd-tui" / "node"))


def install_packages(base: Path, packages: list[str], name: str) -> Path:
    """Install ``packages`` into ``base`` once (flock; a stamp names what is installed)."""
    if not shutil.which("node") or not shutil.which("npm"):
        pytest.skip("node/npm not on PATH: the drizzle interop tests need the real npm packages")
    base.mkdir(parents=True, exist_ok=True)
    stamp = base / ".installed"
    with open(base / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not stamp.exists() or stamp.read_text() != " ".join(packages):
            (base / "package.json").write_text(f'{{"name":"{name}","private":true,"type":"module"}}\n')
            subprocess.run(
                ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", *packages],
                cwd=base,
                check=True,
                capture_output=True,
                timeout=600,
            )
            stamp.write_text(" ".join(packages))
    return base


def ensure_node_packages() -> Path:
    """Install the npm packages (once; .ci/run pre-installs them). Skips where node is missing."""
    base = install_packages(node_dir(), PACKAGES, "gtsd-interop")
    # Atomically: test runs of other work trees share this folder, and node reading a half-copied
    # (empty) runner exits 0 having done nothing.
    target = base / RUNNER.name
    if not target.exists() or target.read_bytes() != RUNNER.read_bytes():
        tmp = base / f".{RUNNER.name}.{os.getpid()}"
        shutil.copy(RUNNER, tmp)
        os.replace(tmp, target)
    return base


def drizzle_migrate(
    url: str, folder: Path, table: str | None = None, schema: str | None = None
) -> subprocess.CompletedProcess[str]:
    base = ensure_node_packages()
    args = ["node", RUNNER.name, "migrate", str(folder.resolve())] + [a for a in (table, schema) if a]
    return subprocess.run(
        args, cwd=base, env={**os.environ, "DATABASE_URL": url}, capture_output=True, text=True, timeout=120
    )


def drizzle_rows(url: str, table: str = "__drizzle_migrations", schema: str = "drizzle") -> list[dict]:
    base = ensure_node_packages()
    out = subprocess.run(
        ["node", RUNNER.name, "rows", table, schema],
        cwd=base,
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(out.stdout)


def drizzle_kit_check(folder: Path) -> subprocess.CompletedProcess[str]:
    """``drizzle-kit check`` run from the folder's parent with a relative --out (spec appendix)."""
    base = ensure_node_packages()
    kit = base / "node_modules" / ".bin" / "drizzle-kit"
    link = folder.parent / "node_modules"
    if not link.exists():
        link.symlink_to(base / "node_modules")
    cmd = [str(kit), "check", "--dialect", "postgresql", "--out", f"./{folder.name}"]
    return kit_run(
        cmd,
        folder.parent,
        lambda: subprocess.run(cmd, cwd=folder.parent, capture_output=True, text=True, timeout=120),
    )
