"""Shared bench helpers: a database (DATABASE_URL or the embedded server) and generated folders."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from gtsd_tui.core.migrations.snapshots import empty_snapshot

OUT = Path(__file__).resolve().parent / ".out"
# The real migration folder of a public project (read-only): ``GTSD_CORPUS``, else ``shared/corpus`` beside
# the checkout or above a worktree of it (``/work/main`` and ``/work/wt/NAME`` alike).
_CORPUS_CANDIDATES = [
    *([Path(os.environ["GTSD_CORPUS"])] if os.environ.get("GTSD_CORPUS") else []),
    *(p / "shared" / "corpus" for p in Path(__file__).resolve().parents[1:4]),
]
CORPUS = next((c for c in _CORPUS_CANDIDATES if c.is_dir()), _CORPUS_CANDIDATES[0])
DITTOFEED = CORPUS / "dittofeed" / "drizzle"
os.environ.setdefault("GTSD_CACHE_DIR", str(OUT / "cache"))  # benches never touch the user's digest cache
NO_CACHE = {"GTSD_NO_DIGEST_CACHE": "1"}


def settle(folder: Path) -> None:
    """Wait until freshly generated files are past the digest cache's 2 s margin (it skips newer files)."""
    newest = max(p.stat().st_ctime for p in folder.rglob("*") if p.is_file())  # (a v1 folder's too)
    time.sleep(max(0.0, newest + 2.2 - time.time()))


def cold_and_warm(run: Callable[[dict[str, str]], float]) -> tuple[float, float]:
    """Best of 3 with the digest cache off (every file read and hashed), then best of 3 with it warm."""
    cold = min(run(NO_CACHE) for _ in range(3))
    run({})  # fills the cache
    return cold, min(run({}) for _ in range(3))


def database_url(durable: bool = False) -> str:
    """DATABASE_URL, else an embedded server: fsync off by default; ``durable`` gives the settings of the
    app's own embedded default (fsync on, synchronous_commit off)."""
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    from gtsd_tui.db.embedded import ensure_server

    if durable:
        return ensure_server(OUT / ".gtsd-durable").url("postgres")
    return ensure_server(OUT / ".gtsd", fast=True).url("postgres")


def postmaster_pid() -> int | None:
    pidfile = OUT / ".gtsd" / "pgdata" / "postmaster.pid"
    if os.environ.get("DATABASE_URL") or not pidfile.exists():
        return None
    return int(pidfile.read_text().splitlines()[0])


def server_cpu(pm: int | None) -> float:
    """CPU seconds of the server: the postmaster's own and its reaped children's, and its live children's."""
    if pm is None:
        return 0.0
    total = 0
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            fields = Path(f"/proc/{d}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(d) == pm:
            total += sum(int(x) for x in fields[11:15])
        elif int(fields[1]) == pm:
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def drop_databases(admin_url: str, prefix: str) -> None:
    """Every database ``fresh_database`` made with ``prefix`` (earlier runs' too)."""
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        old = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", (prefix + "\\_%",)).fetchall()
        for (dbname,) in old:
            conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


def fresh_database(admin_url: str, prefix: str, keep_earlier: bool = False) -> str:
    """A new database; the earlier ones of ``prefix`` dropped first (stats views cost grows with their
    number) unless ``keep_earlier``: a timed loop drops them after it (``drop_databases``), since each
    DROP slows down every file created in the next minutes on this machine (see the README)."""
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    if not keep_earlier:
        drop_databases(admin_url, prefix)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    info = psycopg.conninfo.conninfo_to_dict(admin_url)
    return f"postgresql://{info.get('user', 'postgres')}@{info.get('host')}:{info.get('port')}/{name}"


def generate_folder(dest: Path, count: int, statements: int = 3, start_when: int = 1_700_000_000_000) -> Path:
    """A v0 folder of ``count`` migrations with snapshots, each creating a table and an index."""
    (dest / "meta").mkdir(parents=True, exist_ok=True)
    entries = []
    prev = "00000000-0000-0000-0000-000000000000"
    for i in range(count):
        tag = f"{i:04d}_gen_{i}"
        parts = [f'CREATE TABLE IF NOT EXISTS "t{i}" (\n\t"id" serial PRIMARY KEY NOT NULL,\n\t"v" integer\n);\n']
        for j in range(1, statements):
            parts.append(f'\nCREATE INDEX IF NOT EXISTS "t{i}_i{j}" ON "t{i}" USING btree ("v");')
        (dest / f"{tag}.sql").write_text("--> statement-breakpoint".join(parts))
        sid = str(uuid.UUID(int=i + 1))
        snap = empty_snapshot(sid, prev)
        (dest / "meta" / f"{i:04d}_snapshot.json").write_text(json.dumps(snap, indent=2))
        prev = sid
        entries.append({"idx": i, "version": "7", "when": start_when + i * 1000, "tag": tag, "breakpoints": True})
    journal = {"version": "7", "dialect": "postgresql", "entries": entries}
    (dest / "meta" / "_journal.json").write_text(json.dumps(journal, indent=2))
    return dest


def timed(
    cmd: list[str], extra_env: dict[str, str] | None = None, **kw: object
) -> tuple[float, subprocess.CompletedProcess[str]]:
    if extra_env:
        kw["env"] = {**(kw.get("env") or os.environ), **extra_env}  # type: ignore[dict-item]
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)  # type: ignore[call-overload]
    return time.perf_counter() - t0, r


def gtsd(*args: str) -> list[str]:
    return [sys.executable, "-m", "gtsd_tui", *args]


def report(name: str, value: float, baseline_name: str, baseline: float, target: str) -> None:
    ratio = value / baseline if baseline else float("inf")
    print(f"{name}: {value:.3f}s  {baseline_name}: {baseline:.3f}s  ratio {ratio:.2f}x  (target: {target})")


def evict(paths: list[str], sync: bool = False) -> None:
    """Drop these files' pages from the OS page cache (``posix_fadvise(DONTNEED)``; ``sync`` first for
    files just written, whose dirty pages it would keep): the next read comes from the disk. Only these
    files: ``/proc/sys/vm/drop_caches`` would empty the cache of everything else on the machine too (and
    needs root)."""
    for p in paths:
        fd = os.open(p, os.O_RDONLY)
        try:
            if sync:
                os.fsync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def folder_files(folder: Path) -> list[str]:
    """Every file of a v0 folder: the SQL files, the journal and the snapshots."""
    return sorted(str(p) for p in (*folder.glob("*.sql"), *(folder / "meta").glob("*.json")))


def cold_warm_rounds(
    run: Callable[[dict[str, str]], float], sha: Callable[[], float], files: list[str], rounds: int = 5
) -> dict[str, float]:
    """Medians of alternating rounds. Cold: the folder's files evicted from the page cache before each
    run of either side, and gtsd-tui's digest cache off. Warm: the files in the page cache, the digest
    cache filled (by the first warm run, not counted)."""
    times: dict[str, list[float]] = {"cold": [], "sha cold": [], "warm": [], "sha warm": []}
    run({})  # fills the digest cache
    evict(files, sync=True)  # written by the generator: on disk once, so that eviction drops every page
    for _ in range(rounds):
        evict(files)
        times["sha cold"].append(sha())
        evict(files)
        times["cold"].append(run(NO_CACHE))
        times["sha warm"].append(sha())
        times["warm"].append(run({}))
    return {k: statistics.median(v) for k, v in times.items()}


def console(*args: str) -> list[str]:
    """The installed ``gtsd-tui`` console script beside this interpreter (what users and hooks run),
    else ``python -m gtsd_tui``."""
    script = Path(sys.executable).parent / "gtsd-tui"
    return [str(script), *args] if script.exists() else gtsd(*args)
