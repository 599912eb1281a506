"""A fleet of fresh databases migrated three ways, same run, same folder, same number of databases:
``gtsd-tui fleet migrate --jobs 4`` (one process), a loop of ``gtsd-tui migrate`` (one process per
database) and a loop of drizzle-orm's migrator through node (one node process per database, as the
shell loops over ``drizzle-kit migrate`` do). Target: the fleet <= 0.25x the gtsd-tui loop's time.
The fleet runs staged (``--waves 10%,100%`` by default: a wave barrier, the rollout record written
and fsync'd before and after each target) and unstaged, alternating with the loop over ``--rounds``;
medians are printed.

It also prints where one database's time goes in the loop: the interpreter start with gtsd-tui's
imports, one connection, and a ``migrate`` with nothing to do (start + connect + read the table).

``python bench/fleet.py [--databases 30] [--jobs 4] [--waves 10%,100%] [--rounds 1] [--no-node] [--folder DIR]``
(default: the repo's sample
``migrations/``, drizzle-kit 0.31 output plus the hand-written GTSD-style 0003).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _common import OUT, database_url, gtsd, timed  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def make_databases(admin_url: str, prefix: str, count: int) -> list[str]:
    """``count`` empty databases named ``prefix_NN`` (earlier runs' ``prefix_*`` dropped first)."""
    import psycopg

    info = psycopg.conninfo.conninfo_to_dict(admin_url)
    base = f"postgresql://{info.get('user', 'postgres')}@{info.get('host')}:{info.get('port')}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        old = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", (prefix + "\\_%",)).fetchall()
        for (name,) in old:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        names = [f"{prefix}_{i:02d}" for i in range(count)]
        for name in names:
            conn.execute(f'CREATE DATABASE "{name}"')
    return [f"{base}/{name}" for name in names]


def drop_databases(admin_url: str, prefix: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        old = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", (prefix + "\\_%",)).fetchall()
        for (name,) in old:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def row_counts(urls: list[str]) -> set[int]:
    """The number of tracking rows in each database (all equal to the folder's count when it worked)."""
    import psycopg

    counts = set()
    for url in urls:
        with psycopg.connect(url) as conn:
            row = conn.execute("SELECT count(*) FROM drizzle.__drizzle_migrations").fetchone()
            counts.add(int(row[0]) if row else -1)
    return counts


def loop(urls: list[str], run: Callable[[str], subprocess.CompletedProcess[str]]) -> float:
    t0 = time.perf_counter()
    for url in urls:
        r = run(url)
        assert r.returncode == 0, r.stderr
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--databases", type=int, default=30)
    parser.add_argument("--jobs", type=int, default=4)
    parser.add_argument("--waves", default="10%,100%", help="fleet migrate --waves of the staged run")
    parser.add_argument("--rounds", type=int, default=1, help="loop, staged and unstaged fleet, alternating")
    parser.add_argument("--no-node", action="store_true", help="skip drizzle-orm's loop")
    parser.add_argument("--folder", type=Path, default=ROOT / "migrations")
    args = parser.parse_args()
    n, folder = args.databases, args.folder.resolve()
    admin = database_url()
    migrations = len(list(folder.glob("*.sql"))) or len(list(folder.glob("*/migration.sql")))
    print(f"{n} fresh databases x {migrations} migrations ({folder}), {os.cpu_count()} CPU(s)")

    def gtsd_migrate(url: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            gtsd("migrate", "--migrations", str(folder), "--database-url", url), capture_output=True, text=True
        )

    def fleet(prefix: str, *extra: str) -> float:
        """gtsd-tui fleet migrate: one process, --jobs connections at a time."""
        urls = make_databases(admin, prefix, n)
        targets = OUT / f"{prefix}_targets.txt"
        targets.write_text("".join(f"t{i:02d}={url}\n" for i, url in enumerate(urls)))
        record = targets.with_name(targets.name + ".rollout.jsonl")
        record.unlink(missing_ok=True)
        cmd = gtsd(
            "fleet", "migrate", "--migrations", str(folder), "--targets", str(targets), "--jobs", str(args.jobs), *extra
        )
        took, r = timed(cmd)
        assert r.returncode == 0, r.stdout + r.stderr
        assert row_counts(urls) == {migrations}, row_counts(urls)
        drop_databases(admin, prefix)
        return took

    loops: list[float] = []
    staged: list[float] = []
    plain: list[float] = []
    t_noop = t_python = t_start = t_connect = 0.0
    for rnd in range(args.rounds):
        # 1. the gtsd-tui loop: one process per database
        urls = make_databases(admin, "bench_fleet_loop", n)
        loops.append(loop(urls, gtsd_migrate))
        assert row_counts(urls) == {migrations}, row_counts(urls)
        if rnd == 0:  # where one database's time goes (on the databases just migrated: nothing left to do)
            t_noop = loop(urls[:5], gtsd_migrate) / 5
            t_python = sum(timed([sys.executable, "-c", "pass"])[0] for _ in range(5)) / 5
            imports = "import gtsd_tui.cli, gtsd_tui.commands.migrate, gtsd_tui.services.apply, gtsd_tui.db.runner"
            t_start = sum(timed([sys.executable, "-c", imports])[0] for _ in range(5)) / 5  # what migrate imports
            import psycopg

            t0 = time.perf_counter()
            for url in urls[:10]:
                psycopg.connect(url).close()
            t_connect = (time.perf_counter() - t0) / 10
        drop_databases(admin, "bench_fleet_loop")
        # 2. the fleet, staged then unstaged (alternating with the loop, round after round)
        staged.append(fleet("bench_fleet_waves", "--waves", args.waves))
        plain.append(fleet("bench_fleet_many"))

    # 3. drizzle-orm's migrator, one node process per database (once: a reference, not the yardstick)
    t_node = None
    if shutil.which("node") and not args.no_node:
        from tests.helpers.node import RUNNER, ensure_node_packages

        base = ensure_node_packages()
        urls = make_databases(admin, "bench_fleet_node", n)

        def node_migrate(url: str) -> subprocess.CompletedProcess[str]:
            env = {**os.environ, "DATABASE_URL": url}
            return subprocess.run(
                ["node", RUNNER.name, "migrate", str(folder)], cwd=base, env=env, capture_output=True, text=True
            )

        t_node = loop(urls, node_migrate)
        assert row_counts(urls) == {migrations}, row_counts(urls)
        drop_databases(admin, "bench_fleet_node")

    t_loop, t_fleet, t_plain = (statistics.median(x) for x in (loops, staged, plain))
    each = lambda xs: " / ".join(f"{x:.2f}" for x in xs)  # noqa: E731
    print(f"rounds: {args.rounds} (medians; each round: loop, staged fleet, unstaged fleet)")
    per = f"{t_loop / n * 1000:.0f} ms per database"
    print(f"gtsd-tui migrate, loop of {n}:         {t_loop:.3f}s  ({per}) [{each(loops)}]")
    if t_node is not None:
        print(f"drizzle-orm migrator (node), loop:    {t_node:.3f}s  ({t_node / n * 1000:.0f} ms per database)")
    else:
        print("drizzle-orm migrator: skipped")
    print(
        f"fleet migrate --jobs {args.jobs} --waves {args.waves}: {t_fleet:.3f}s  "
        f"({t_fleet / n * 1000:.0f} ms per database) [{each(staged)}]"
    )
    print(f"fleet migrate --jobs {args.jobs} (unstaged):  {t_plain:.3f}s  [{each(plain)}]")
    print(f"ratio staged fleet / gtsd-tui loop:   {t_fleet / t_loop:.2f}x  (target <= 0.25x)")
    print(f"ratio unstaged fleet / gtsd-tui loop: {t_plain / t_loop:.2f}x")
    print(f"ratio staged / unstaged fleet:        {t_fleet / t_plain:.2f}x  (the waves' barrier and the record)")
    if t_node is not None:
        print(f"ratio fleet / drizzle-orm loop:       {t_fleet / t_node:.2f}x")
        print(f"ratio gtsd-tui loop / drizzle loop:   {t_loop / t_node:.2f}x")
    print(
        f"per database in the loop (means): python start {t_python * 1000:.0f} ms, with migrate's imports (psycopg...) "
        f"{t_start * 1000:.0f} ms, one connection {t_connect * 1000:.1f} ms, a migrate with nothing to do "
        f"{t_noop * 1000:.0f} ms, a migrate of {migrations} {t_loop / n * 1000:.0f} ms; the fleet: "
        f"{t_fleet / n * 1000:.0f} ms per database"
    )


if __name__ == "__main__":
    main()
