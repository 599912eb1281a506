"""Lint 50 MB of generated migration SQL; print MB/s, and squawk's time on the same files in the
same run (``pip install squawk-cli``; skipped with a note when it is missing). Target: >= 20 MB/s.
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import OUT, timed  # noqa: E402

STATEMENTS = [
    'CREATE TABLE IF NOT EXISTS "t{i}" (\n\t"id" serial PRIMARY KEY NOT NULL,\n\t"name" text NOT NULL,\n'
    '\t"created_at" timestamp with time zone DEFAULT now() NOT NULL\n);',
    'ALTER TABLE "t{i}" ADD COLUMN IF NOT EXISTS "email" varchar(255);',
    'CREATE INDEX IF NOT EXISTS "t{i}_name_idx" ON "t{i}" USING btree ("name");',
    "INSERT INTO \"t{i}\" (\"name\") VALUES ('a'), ('b'), ('c'), ('d'), ('e'), ('f'), ('g'), ('h');",
    'DO $$ BEGIN\n ALTER TABLE "t{i}" ADD CONSTRAINT "t{i}_fk" FOREIGN KEY ("id") REFERENCES "users"("id");\n'
    "EXCEPTION\n WHEN duplicate_object THEN null;\nEND $$;",
]


def generate(dest: Path, total_bytes: int) -> list[Path]:
    dest.mkdir(parents=True)
    files, size, i = [], 0, 0
    while size < total_bytes:
        body = "\n--> statement-breakpoint\n".join(s.format(i=i * 40 + k) for k in range(40) for s in STATEMENTS)
        if i % 2:  # every other file as drizzle-kit writes it, so that rules fire and findings travel back
            body = body.replace("CREATE TABLE IF NOT EXISTS", "CREATE TABLE")
        path = dest / f"{i:04d}_gen.sql"
        path.write_text(body)
        files.append(path)
        size += len(body)
        i += 1
    return files


def main() -> None:
    from gtsd_tui.services.lint_runner import lint_paths

    folder = OUT / "lint50"
    shutil.rmtree(folder, ignore_errors=True)
    files = generate(folder, 50_000_000)
    mb = sum(p.stat().st_size for p in files) / 1e6
    t0 = time.perf_counter()
    findings = len(lint_paths([(p, False) for p in files]))  # what `gtsd-tui lint FILES` runs
    ours = time.perf_counter() - t0
    print(f"gtsd-tui lint: {mb:.1f} MB in {ours:.2f}s = {mb / ours:.1f} MB/s, {findings} findings (target >= 20 MB/s)")
    squawk = shutil.which("squawk") or (
        str(Path(sys.executable).parent / "squawk") if (Path(sys.executable).parent / "squawk").exists() else None
    )
    if squawk is None:
        print("squawk: not installed (pip install squawk-cli) — no comparison this run")
        return
    t, r = timed([squawk, "--reporter", "gcc", *map(str, files)])
    print(f"squawk: {t:.2f}s = {mb / t:.1f} MB/s (exit {r.returncode}); gtsd-tui/squawk time ratio {ours / t:.2f}x")


if __name__ == "__main__":
    main()
