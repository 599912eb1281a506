"""Build a file with git conflict markers from two versions, the way git's merge shows them."""

from __future__ import annotations


def conflict_text(ours: str, theirs: str, ours_label: str = "HEAD", theirs_label: str = "feature") -> str:
    a, b = ours.splitlines(keepends=True), theirs.splitlines(keepends=True)
    pre = 0
    while pre < min(len(a), len(b)) and a[pre] == b[pre]:
        pre += 1
    post = 0
    while post < min(len(a), len(b)) - pre and a[-1 - post] == b[-1 - post]:
        post += 1
    mid_a, mid_b = a[pre : len(a) - post], b[pre : len(b) - post]

    def nl(lines: list[str]) -> list[str]:
        return [*lines[:-1], lines[-1] if lines[-1].endswith("\n") else lines[-1] + "\n"] if lines else []

    return "".join(
        a[:pre]
        + [f"<<<<<<< {ours_label}\n"]
        + nl(mid_a)
        + ["=======\n"]
        + nl(mid_b)
        + [f">>>>>>> {theirs_label}\n"]
        + a[len(a) - post :]
    )
