"""Apply 300 generated migrations of 20 statements each three ways, on fresh databases, same run:
``gtsd-tui migrate``, ``psql --single-transaction -f`` over the concatenated SQL, and drizzle-orm's
migrator through node. Target: within 1.5x of psql and faster than drizzle-orm.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _common import OUT, database_url, fresh_database, generate_folder, gtsd, timed  # noqa: E402


def psql_binary() -> str:
    from gtsd_tui.db.embedded import find_bindir

    bindir = find_bindir()
    if bindir and (bindir / "psql").exists():
        return str(bindir / "psql")
    found = shutil.which("psql")
    if not found:
        raise SystemExit("psql not found")
    return found


def main() -> None:
    folder = OUT / "apply300"
    shutil.rmtree(folder, ignore_errors=True)
    generate_folder(folder, 300, statements=20)
    admin = database_url()
    combined = OUT / "apply300.sql"
    with open(combined, "w") as out:
        for f in sorted(folder.glob("*.sql")):
            out.write(f.read_text().replace("--> statement-breakpoint", "") + "\n")

    url = fresh_database(admin, "bench_apply_gtsd")
    t_gtsd, r = timed(gtsd("migrate", "--migrations", str(folder), "--database-url", url))
    assert r.returncode == 0, r.stderr

    url = fresh_database(admin, "bench_apply_psql")
    t_psql, r = timed(
        [psql_binary(), "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-f", str(combined), url]
    )
    assert r.returncode == 0, r.stderr

    t_node = None
    if shutil.which("node"):
        from tests.helpers.node import RUNNER, ensure_node_packages

        base = ensure_node_packages()
        url = fresh_database(admin, "bench_apply_drizzle")
        t_node, r = timed(
            ["node", RUNNER.name, "migrate", str(folder)], cwd=base, env={**os.environ, "DATABASE_URL": url}
        )
        assert r.returncode == 0, r.stderr
    print(f"gtsd-tui migrate (per-file): {t_gtsd:.3f}s")
    print(f"psql --single-transaction:   {t_psql:.3f}s   ratio gtsd/psql {t_gtsd / t_psql:.2f}x (target <= 1.5x)")
    if t_node is not None:
        print(f"drizzle-orm migrate (node):  {t_node:.3f}s   ratio gtsd/drizzle {t_gtsd / t_node:.2f}x (target < 1x)")
    else:
        print("drizzle-orm: skipped (node not on PATH)")


if __name__ == "__main__":
    main()
