"""``check --json`` on 5,000 migrations with 50 conflicts, against ``sha256sum`` of the same files.

Target: within 10x. Run: ``python bench/check.py`` (offline: no database needed).
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import OUT, cold_and_warm, generate_folder, gtsd, report, settle, timed  # noqa: E402


def main() -> None:
    folder = OUT / "check5000"
    shutil.rmtree(folder, ignore_errors=True)
    generate_folder(folder, 5000)
    for i in range(50):  # hand-written files that reuse a number: duplicate-prefix + not-in-journal
        (folder / f"{100 * i:04d}_conflict_{i}.sql").write_text(f"CREATE TABLE IF NOT EXISTS c{i} (id int);")
    files = sorted(str(p) for p in folder.glob("*.sql"))
    timed(["sha256sum", *files])
    best_sha = min(timed(["sha256sum", *files])[0] for _ in range(3))
    settle(folder)

    def run(env: dict[str, str]) -> float:
        t, r = timed(gtsd("check", "--json", "--offline", "--migrations", str(folder)), env)
        assert r.returncode == 1, r.stderr
        codes = [f["code"] for f in json.loads(r.stdout)["findings"]]
        assert codes.count("duplicate-prefix") == 50 and codes.count("not-in-journal") == 50, codes[:5]
        return t

    cold, warm = cold_and_warm(run)
    name = "gtsd-tui check --json (5000 files, 50 conflicts)"
    report(f"{name}, every file hashed", cold, "sha256sum", best_sha, "< 10x")
    report(f"{name}, digest cache warm", warm, "sha256sum", best_sha, "< 10x")


if __name__ == "__main__":
    main()
