"""Lint real folders and two generated 50 MB corpora with `gtsd-tui lint FILES` and with squawk
(``pip install squawk-cli``) on the same files, in the same run; then peak memory of both on one 20 MB file.

- real folders: dittofeed's 11 migrations as they are (/work/shared/corpus/dittofeed/drizzle), the same
  files copied to 187 (one real project's size), and that copied 40 times (7,480 files). Medians of
  alternating runs, with ``python -c pass`` as the interpreter's floor. Targets: one folder <= 3x squawk's
  time, 7,480 files <= 0.75x. Then workers against one process on the 7,480 files (in-process, alternating);

- synthetic: the old bench's files (a fifth of the statements are INSERTs, which skip the tree);
- real-shaped: written as drizzle-kit 0.31 writes migrations: enums, CREATE TABLE with a dozen typed
  columns, foreign keys as ALTER TABLE ... ADD CONSTRAINT, btree indexes, and long runs of ALTER TABLE
  on existing tables (ADD COLUMN, SET DATA TYPE, DROP NOT NULL, DROP COLUMN), DROP INDEX.

Target: faster than squawk on both (aim 2x on real-shaped); memory <= squawk's on the 20 MB file.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DITTOFEED, OUT, gtsd  # noqa: E402

BP = "--> statement-breakpoint\n"
SYNTHETIC = [
    'CREATE TABLE IF NOT EXISTS "t{i}" (\n\t"id" serial PRIMARY KEY NOT NULL,\n\t"name" text NOT NULL,\n'
    '\t"created_at" timestamp with time zone DEFAULT now() NOT NULL\n);',
    'ALTER TABLE "t{i}" ADD COLUMN IF NOT EXISTS "email" varchar(255);',
    'CREATE INDEX IF NOT EXISTS "t{i}_name_idx" ON "t{i}" USING btree ("name");',
    "INSERT INTO \"t{i}\" (\"name\") VALUES ('a'), ('b'), ('c'), ('d'), ('e'), ('f'), ('g'), ('h');",
    'DO $$ BEGIN\n ALTER TABLE "t{i}" ADD CONSTRAINT "t{i}_fk" FOREIGN KEY ("id") REFERENCES "users"("id");\n'
    "EXCEPTION\n WHEN duplicate_object THEN null;\nEND $$;",
]
REAL_CREATE = (
    "CREATE TYPE \"public\".\"status_{i}\" AS ENUM('draft', 'active', 'archived');--> statement-breakpoint\n"
    'CREATE TABLE "item_{i}" (\n'
    '\t"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,\n'
    '\t"workspace_id" uuid NOT NULL,\n'
    '\t"name" text NOT NULL,\n'
    '\t"email" varchar(255),\n'
    '\t"position" integer DEFAULT 0 NOT NULL,\n'
    '\t"amount" numeric(12, 2),\n'
    "\t\"definition\" jsonb DEFAULT '{{}}'::jsonb NOT NULL,\n"
    '\t"status" "status_{i}" DEFAULT \'draft\' NOT NULL,\n'
    '\t"tags" text[] DEFAULT ARRAY[]::text[],\n'
    '\t"created_at" timestamp(3) DEFAULT now() NOT NULL,\n'
    '\t"updated_at" timestamp with time zone DEFAULT now() NOT NULL,\n'
    '\tCONSTRAINT "item_{i}_ws_name_unique" UNIQUE("workspace_id","name")\n'
    ");\n" + BP + 'ALTER TABLE "item_{i}" ADD CONSTRAINT "item_{i}_workspace_id_workspace_id_fk" FOREIGN KEY '
    '("workspace_id") REFERENCES "public"."workspace"("id") ON DELETE cascade ON UPDATE no action;' + BP + ""
    'CREATE INDEX "item_{i}_workspace_idx" ON "item_{i}" USING btree ("workspace_id");' + BP + ""
    'CREATE UNIQUE INDEX "item_{i}_email_key" ON "item_{i}" USING btree ("workspace_id" uuid_ops,"email" text_ops);'
)
REAL_ALTER = (
    'ALTER TABLE "account_{j}" ADD COLUMN "plan_{i}" text DEFAULT \'free\' NOT NULL;' + BP + ""
    'ALTER TABLE "account_{j}" ALTER COLUMN "label_{i}" SET DATA TYPE varchar(512);' + BP + ""
    'ALTER TABLE "account_{j}" ALTER COLUMN "note_{i}" DROP NOT NULL;' + BP + ""
    'ALTER TABLE "account_{j}" ADD COLUMN "owner_{i}" uuid;' + BP + ""
    'ALTER TABLE "account_{j}" ADD CONSTRAINT "account_{j}_owner_{i}_fk" FOREIGN KEY ("owner_{i}") REFERENCES '
    '"public"."user"("id") ON DELETE set null ON UPDATE no action;' + BP + ""
    'DROP INDEX "account_{j}_old_{i}_idx";' + BP + ""
    'CREATE INDEX "account_{j}_owner_{i}_idx" ON "account_{j}" USING btree ("owner_{i}");' + BP + ""
    'ALTER TABLE "account_{j}" DROP COLUMN "legacy_{i}";'
)


def synthetic_body(i: int) -> str:
    body = "\n" + BP + "".join(s.format(i=i * 40 + k) + "\n" + BP for k in range(40) for s in SYNTHETIC)
    # every other file as drizzle-kit writes it, so that rules fire and findings travel back
    return body.replace("CREATE TABLE IF NOT EXISTS", "CREATE TABLE") if i % 2 else body


def real_body(i: int) -> str:
    parts = [REAL_CREATE.format(i=i * 30 + k) for k in range(30)]
    parts += [REAL_ALTER.format(i=i * 30 + k, j=k % 7) for k in range(30)]
    return ("\n" + BP).join(parts) + "\n"


def generate(dest: Path, total_bytes: int, body: object) -> list[Path]:
    dest.mkdir(parents=True)
    files, size, i = [], 0, 0
    while size < total_bytes:
        text = body(i)  # type: ignore[operator]
        path = dest / f"{i:04d}_gen.sql"
        path.write_text(text)
        files.append(path)
        size += len(text)
        i += 1
    return files


def squawk_exe() -> str | None:
    local = Path(sys.executable).parent / "squawk"
    return shutil.which("squawk") or (str(local) if local.exists() else None)


def run(cmd: list[str]) -> tuple[float, int, int]:
    """Wall time, peak RSS (KB) and exit code of one process."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - t0
    if p.returncode not in (0, 1):
        raise SystemExit(f"{cmd[0]} failed: {p.stderr.read().decode() if p.stderr else ''}")
    return elapsed, usage.ru_maxrss, p.returncode


def best(cmd: list[str], n: int = 3) -> tuple[float, int]:
    runs = [run(cmd) for _ in range(n)]
    return min(r[0] for r in runs), max(r[1] for r in runs)


def compare(name: str, files: list[Path], squawk: str | None, rounds: int = 3) -> None:
    """Best of ``rounds``; gtsd-tui and squawk alternate, so that load from other processes on a shared
    machine falls on both alike (each round's ratio is printed too)."""
    mb = sum(p.stat().st_size for p in files) / 1e6
    names = [str(p) for p in files]
    mine, theirs_cmd = gtsd("lint", "--format", "json", *names), [squawk or "", "--reporter", "json", *names]
    pairs = [(run(mine)[0], run(theirs_cmd)[0] if squawk else 0.0) for _ in range(rounds)]
    ours = min(p[0] for p in pairs)
    line = f"{name}: {mb:.1f} MB in {len(files)} files: gtsd-tui {ours:.2f}s = {mb / ours:.1f} MB/s"
    if squawk is None:
        print(line + "; squawk: not installed (pip install squawk-cli), no comparison this run")
        return
    theirs = min(p[1] for p in pairs)
    each = ", ".join(f"{t / o:.2f}x" for o, t in pairs)
    print(f"{line}; squawk {theirs:.2f}s = {mb / theirs:.1f} MB/s; squawk/gtsd-tui = {theirs / ours:.2f}x faster")
    print(f"  rounds (squawk/gtsd-tui, alternating): {each}")


def copies(src: list[Path], dest: Path, n: int) -> list[Path]:
    """``n`` copies of the files, each under its own name (squawk and gtsd-tui see ``n * len(src)`` files)."""
    dest.mkdir(parents=True)
    out = []
    for i in range(n):
        for p in src:
            q = dest / f"{i:03d}_{p.name}"
            q.write_bytes(p.read_bytes())
            out.append(q)
    return out


def medians(name: str, files: list[Path], squawk: str, rounds: int, target: float) -> None:
    """gtsd-tui, squawk and the bare interpreter alternate; medians and each round's ratio."""
    import statistics

    names = [str(p) for p in files]
    cmds = {
        "gtsd-tui": gtsd("lint", "--format", "json", *names),
        "squawk": [squawk, "--reporter", "json", *names],
        "python -c pass": [sys.executable, "-c", "pass"],
    }
    times: dict[str, list[float]] = {k: [] for k in cmds}
    for _ in range(rounds):
        for k, cmd in cmds.items():
            times[k].append(run(cmd)[0])
    med = {k: statistics.median(v) for k, v in times.items()}
    ratio = med["gtsd-tui"] / med["squawk"]
    each = ", ".join(f"{g / s:.2f}x" for g, s in zip(times["gtsd-tui"], times["squawk"], strict=True))
    print(
        f"{name} ({len(files)} files): gtsd-tui {med['gtsd-tui']:.3f}s, squawk {med['squawk']:.3f}s, "
        f"python -c pass {med['python -c pass']:.3f}s; gtsd-tui/squawk = {ratio:.2f}x (target <= {target}x); "
        f"rounds: {each}"
    )


def workers(files: list[Path], rounds: int = 5) -> None:
    """lint_paths with worker processes against one process, alternating, in this process."""
    import statistics

    import gtsd_tui.services.lint_runner as runner
    from gtsd_tui.services.lint_runner import PARALLEL_BYTES, lint_paths

    items = [(p, False) for p in files]
    cores = os.cpu_count() or 1
    runner.MIN_WORKERS = 2  # measure the pool on every core, even where lint would not start it
    one, many = [], []
    for _ in range(rounds):
        t = time.perf_counter()
        lint_paths(items, workers=1)
        one.append(time.perf_counter() - t)
        t = time.perf_counter()
        lint_paths(items, workers=cores)
        many.append(time.perf_counter() - t)
    mb = sum(p.stat().st_size for p in files) / 1e6
    print(
        f"workers on {len(files)} files ({mb:.1f} MB, {cores} cores): one process {statistics.median(one):.3f}s, "
        f"{cores} workers {statistics.median(many):.3f}s (workers start above {PARALLEL_BYTES / 1e6:.0f} MB)"
    )


def kit_output(dest: Path) -> list[Path]:
    """The wide schema of the differential test through the real drizzle-kit 0.31 and 1.0 (npm, cached);
    none when node or the packages are not there."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    try:
        from tests.helpers.squawk_diff import kit_corpora

        corpora = kit_corpora(dest)
    except Exception as exc:  # no node, no network for the first install: the rest of the bench still runs
        print(f"drizzle-kit output: not generated ({type(exc).__name__}: {exc})")
        return []
    return [c.root / f for c in corpora for files in c.groups.values() for f in files]


def main() -> None:
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=float, default=50, help="size of each corpus (default 50 MB)")
    ap.add_argument("--real-only", action="store_true", help="only the real folders")
    opts = ap.parse_args()
    mb = int(opts.mb * 1e6)
    squawk = squawk_exe()
    root = OUT / "lint"
    shutil.rmtree(root, ignore_errors=True)
    if squawk is not None and DITTOFEED.is_dir():
        src = sorted(DITTOFEED.glob("*.sql"))
        one = copies(src, root / "real187", 17)
        forty = copies(one, root / "real7480", 40)
        medians("dittofeed as it is", src, squawk, 9, 3)
        kit = kit_output(root / "kit")
        if kit:
            medians("drizzle-kit 0.31 + 1.0 output of a wide schema", kit, squawk, 9, 3)
        medians("one real folder", one, squawk, 9, 3)
        medians("the folder 40 times", forty, squawk, 5, 0.75)
        workers(forty)
    if opts.real_only:
        return
    compare("synthetic", generate(root / "synthetic", mb, synthetic_body), squawk)
    compare("real-shaped", generate(root / "real", mb, real_body), squawk)
    big = root / "big" / "0000_big.sql"
    big.parent.mkdir(parents=True)
    with big.open("w") as out:
        i = 0
        while out.tell() < 20_000_000:
            out.write(real_body(i) + "\n" + BP)
            i += 1
    t, rss = best(gtsd("lint", "--format", "json", str(big)), 1)
    line = f"one 20 MB file: gtsd-tui {t:.2f}s, peak {rss / 1024:.0f} MB"
    if squawk is not None:
        st, srss = best([squawk, "--reporter", "json", str(big)], 1)
        line += f"; squawk {st:.2f}s, peak {srss / 1024:.0f} MB; memory gtsd-tui/squawk = {rss / srss:.2f}"
    print(line + " (target <= 1)")


if __name__ == "__main__":
    main()
