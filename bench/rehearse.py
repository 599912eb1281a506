"""``gtsd-tui rehearse`` of 50 pending migrations against ``gtsd-tui migrate`` of the same 50 to a fresh
database (with the same base schema), same run. Target: rehearse within 1.2x of applying.

The folder is shaped like drizzle-kit output: 10 applied migrations create tables (with 2,000 rows
each, so rewrites copy data), then 50 pending ones: new tables with indexes and foreign keys, and
changes to the existing tables (ADD COLUMN, CREATE INDEX, ALTER COLUMN TYPE, SET NOT NULL).
"""

from __future__ import annotations

import compileall
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
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _common import (  # noqa: E402
    OUT,
    database_url,
    drop_databases,
    fresh_database,
    generate_folder,
    gtsd,
    postmaster_pid,
    server_cpu,
    timed,
)

BASE, PENDING = 10, 50
BP = "--> statement-breakpoint\n"


def pending_sql(i: int) -> str:
    t = f"t{i % BASE}"
    if i % 2 == 0:
        n = f"p{i}"
        return (
            f'CREATE TABLE "{n}" (\n\t"id" serial PRIMARY KEY NOT NULL,\n\t"{t}_id" integer NOT NULL,\n'
            f'\t"name" varchar(255),\n\t"created_at" timestamp with time zone DEFAULT now() NOT NULL\n);\n{BP}'
            f'ALTER TABLE "{n}" ADD CONSTRAINT "{n}_{t}_id_fk" FOREIGN KEY ("{t}_id") REFERENCES "public"."{t}"("id") '
            f"ON DELETE cascade ON UPDATE no action;{BP}"
            f'CREATE INDEX "{n}_{t}_idx" ON "{n}" USING btree ("{t}_id");'
        )
    kind = (i // 2) % 4
    if kind == 0:
        add = f'ALTER TABLE "{t}" ADD COLUMN "c{i}" integer DEFAULT 0 NOT NULL;'
        return f'{add}{BP}CREATE INDEX "{t}_c{i}" ON "{t}" ("c{i}");'
    if kind == 1:
        return f'ALTER TABLE "{t}" ADD COLUMN "s{i}" text;{BP}UPDATE "{t}" SET "s{i}" = \'x\';'
    if kind == 2:
        return f'ALTER TABLE "{t}" ALTER COLUMN "v" SET DATA TYPE bigint;'
    return f'ALTER TABLE "{t}" ALTER COLUMN "v" SET DEFAULT 1;{BP}CREATE INDEX "{t}_v{i}" ON "{t}" ("v");'


def make_folder() -> Path:
    folder = OUT / "rehearse60"
    shutil.rmtree(folder, ignore_errors=True)
    generate_folder(folder, BASE + PENDING, statements=2)
    for i in range(BASE, BASE + PENDING):
        (folder / f"{i:04d}_gen_{i}.sql").write_text(pending_sql(i))
    return folder


def base_database(admin: str, folder: Path, prefix: str, keep_earlier: bool = False) -> str:
    import psycopg

    url = fresh_database(admin, prefix, keep_earlier)
    r = timed(
        gtsd("migrate", "--migrations", str(folder), "--database-url", url, "--to", f"{BASE - 1:04d}_gen_{BASE - 1}")
    )[1]
    assert r.returncode == 0, r.stderr
    with psycopg.connect(url, autocommit=True) as conn:
        for t in range(BASE):
            conn.execute(f'INSERT INTO "t{t}" (v) SELECT g FROM generate_series(1, 2000) g')
    return url


def main() -> None:
    # byte-compiled first, as an installed package is (pip compiles at install): without it, under
    # PYTHONDONTWRITEBYTECODE, every run would compile the modules it imports from source
    compileall.compile_dir(Path(__file__).resolve().parent.parent / "gtsd_tui", quiet=1)
    folder = make_folder()
    admin = database_url()
    target = base_database(admin, folder, "bench_rehearse_target")
    reps = int(os.environ.get("BENCH_REPS", "7"))  # the machine is shared: one pair says little
    rehearse_times, migrate_times = [], []
    rehearse_cpu: list[float] = []
    migrate_cpu: list[float] = []
    pm = postmaster_pid()  # the embedded server's CPU is read from /proc (not with DATABASE_URL)
    drop_databases(admin, "bench_rehearse_fresh")
    for _ in range(reps):  # interleaved, so both sides see the same load
        t, r = with_cpu(
            pm, rehearse_cpu, gtsd("rehearse", "--json", "--migrations", str(folder), "--database-url", target)
        )
        assert r.returncode == 0, r.stderr
        out = json.loads(r.stdout)
        assert len(out["applied"]) == PENDING, out["applied"]
        rehearse_times.append(t)
        # made just before its migrate; the earlier ones are dropped after the loop, not in it: the
        # files a DROP frees slow down every file created in the minutes after (README, "Rehearse"),
        # and the copy rehearse drops each time is already its own share of that
        fresh = base_database(admin, folder, "bench_rehearse_fresh", keep_earlier=True)
        t, r = with_cpu(pm, migrate_cpu, gtsd("migrate", "--migrations", str(folder), "--database-url", fresh))
        assert r.returncode == 0, r.stderr
        migrate_times.append(t)
    drop_databases(admin, "bench_rehearse_fresh")
    t_r, t_m = statistics.median(rehearse_times), statistics.median(migrate_times)
    pairs = sorted(r / m for r, m in zip(rehearse_times, migrate_times, strict=True))
    print(f"rehearse ({len(out['statements'])} statements, {out['method']} copy): {t_r:.3f}s (median of {reps})")
    print(f"migrate of the same to a fresh database:        {t_m:.3f}s (median of {reps})")
    print("in order, rehearse:", " ".join(f"{x:.2f}" for x in rehearse_times))
    print("in order, migrate: ", " ".join(f"{x:.2f}" for x in migrate_times))
    spread = " ".join(f"{x:.2f}" for x in pairs)
    print(f"per pair: {spread}; load average {os.getloadavg()[0]:.2f}; package byte-compiled first")
    if pm is not None:  # what the load changes less: the work itself, not the wait for a CPU
        c_r, c_m = statistics.median(rehearse_cpu), statistics.median(migrate_cpu)
        print(f"cpu (client + server): rehearse {c_r:.3f}s, migrate {c_m:.3f}s, ratio {c_r / c_m:.2f}x (medians)")
    print(f"ratio rehearse/migrate {t_r / t_m:.2f}x (target <= 1.2x)")


def with_cpu(pm: int | None, into: list[float], cmd: list[str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    """:func:`timed`, and the CPU it cost (the command's and the server's processes') appended to ``into``.
    The pauses around it (outside the timing) let the backends it used exit and be counted."""
    time.sleep(0.05)
    s0, c0 = server_cpu(pm), _children_cpu()
    t, r = timed(cmd)
    c1 = _children_cpu()
    time.sleep(0.05)
    into.append(server_cpu(pm) - s0 + c1 - c0)
    return t, r


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    main()
