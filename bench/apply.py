"""Apply migrations three ways on fresh databases, alternating round by round in the same run:
``gtsd-tui migrate``, ``psql --single-transaction -f`` over the concatenated SQL, and drizzle-orm's
migrator through node. Two folders: 300 generated migrations of 20 statements (drizzle-kit's
shape: CREATE TABLE with a serial key, then CREATE INDEX), and the real dittofeed folder in
``../shared/corpus`` as it is. Medians of ``BENCH_REPS`` rounds (default 5), each round's ratio printed.
Targets: migrate <= 0.8x psql and <= 0.6x drizzle-orm.

    python bench/apply.py [--reps N] [--only generated|dittofeed]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _common import OUT, database_url, drop_databases, fresh_database, generate_folder, gtsd, timed  # noqa: E402

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "dittofeed" / "drizzle"


def psql_binary() -> str:
    from gtsd_tui.db.embedded import find_bindir

    bindir = find_bindir()
    if bindir and (bindir / "psql").exists():
        return str(bindir / "psql")
    found = shutil.which("psql")
    if not found:
        raise SystemExit("psql not found")
    return found


def combined_sql(folder: Path, dest: Path) -> Path:
    from gtsd_tui.core.migrations.folder import load_folder

    with open(dest, "w") as out:
        for m in load_folder(folder).migrations:
            out.write((folder / m.file).read_text().replace("--> statement-breakpoint", "") + "\n;\n")
    return dest


def workloads(only: str | None) -> list[tuple[str, Path]]:
    out: list[tuple[str, Path]] = []
    if only in (None, "generated"):
        folder = OUT / "apply300"
        shutil.rmtree(folder, ignore_errors=True)
        generate_folder(folder, 300, statements=20)
        out.append(("generated 300 x 20", folder))
    if only in (None, "dittofeed") and CORPUS.is_dir():
        out.append(("dittofeed (real, 11 files)", CORPUS))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=int(os.environ.get("BENCH_REPS", "5")))
    ap.add_argument("--only", choices=["generated", "dittofeed"])
    args = ap.parse_args()
    admin = database_url()
    node_base = None
    if shutil.which("node"):
        from tests.helpers.node import ensure_node_packages

        node_base = ensure_node_packages()
    for label, folder in workloads(args.only):
        combined = combined_sql(folder, OUT / "apply_combined.sql")
        series: dict[str, list[float]] = {"gtsd": [], "psql": [], "node": []}
        for rep in range(args.reps):
            order = ["gtsd", "psql", "node"] if rep % 2 == 0 else ["node", "psql", "gtsd"]
            for who in order:
                url = fresh_database(admin, f"bench_apply_{who}", keep_earlier=True)
                if who == "gtsd":
                    t, r = timed(gtsd("migrate", "--migrations", str(folder), "--database-url", url))
                elif who == "psql":
                    cmd = [psql_binary(), "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-f"]
                    t, r = timed([*cmd, str(combined), url])
                elif node_base is not None:
                    from tests.helpers.node import RUNNER

                    env = {**os.environ, "DATABASE_URL": url}
                    t, r = timed(["node", RUNNER.name, "migrate", str(folder.resolve())], cwd=node_base, env=env)
                else:
                    continue
                assert r.returncode == 0, (who, r.stderr[-2000:])
                series[who].append(t)
            g1, p1 = series["gtsd"][-1], series["psql"][-1]
            print(f"  {label} round {rep + 1}: gtsd {g1:.3f}s psql {p1:.3f}s ({g1 / p1:.2f}x)")
        for who in series:
            drop_databases(admin, f"bench_apply_{who}")
        g, p = statistics.median(series["gtsd"]), statistics.median(series["psql"])
        print(f"{label}: gtsd-tui migrate {g:.3f}s, psql -1 -f {p:.3f}s: {g / p:.2f}x (target <= 0.8x)")
        if series["node"]:
            n = statistics.median(series["node"])
            print(f"{label}: drizzle-orm's migrator {n:.3f}s: gtsd-tui {g / n:.2f}x (target <= 0.6x)")
        else:
            print(f"{label}: drizzle-orm skipped (node not on PATH)")


if __name__ == "__main__":
    main()
