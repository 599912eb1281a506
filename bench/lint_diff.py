"""Differential run: squawk 2.70 and gtsd-tui on squawk's own rule test cases and on real migration
folders, compared by (file, line, rule). Prints the catch rate on squawk's bad examples, the false
positives on its good ones, the misses, and every disagreement with its reason from
``tests/data/lint_deviations.tsv`` (TODO when not listed).

    python bench/lint_diff.py [--write-deviations]   # --write: rewrite the table, keeping known reasons
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.helpers.squawk_diff import (  # noqa: E402
    DEVIATIONS,
    case_scores,
    corpora,
    differ,
    read_deviations,
    squawk_cases,
    write_deviations,
)


def main() -> int:
    _, manifest = squawk_cases()
    diff = differ(corpora())
    scores = case_scores(diff, manifest)
    bad = sum(1 for c in manifest.values() if c["expect"] == "err")
    good = len(manifest) - bad
    for tool, s in scores.items():
        print(f"{tool}: caught {len(s['caught'])}/{bad} bad cases, {len(s['false_positives'])}/{good} false positives")
    print("gtsd-tui misses:", *scores["gtsd-tui"]["missed"], sep="\n  ")
    print("gtsd-tui false positives:", *scores["gtsd-tui"]["false_positives"], sep="\n  ")
    known = read_deviations() if DEVIATIONS.exists() else {}
    dis = diff.disagreements
    print(f"{len(dis)} disagreements, {len(dis - set(known))} not in the table, {len(set(known) - dis)} stale rows")
    for k in sorted(dis):
        print("  ", *k, known.get(k, "TODO"))
    if "--write-deviations" in sys.argv:
        DEVIATIONS.write_text(write_deviations(dis, known))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
