"""Hostile folders end in a documented exit with one line naming the file, never exit 70 (a crash):
numbers of thousands of digits, JSON nested thousands deep, lone surrogates, symbolic link loops and a
journal too big to be one."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

COMMANDS = [("check", "--offline"), ("check", "--json", "--offline"), ("renumber", "--dry-run", "--offline")]


def _journal(folder: Path) -> Path:
    return folder / "meta" / "_journal.json"


def huge_when(folder: Path) -> None:
    j = _journal(folder)
    text = j.read_text()
    when = json.loads(text)["entries"][1]["when"]
    j.write_text(text.replace(str(when), "9" * 5000, 1))


def huge_idx(folder: Path) -> None:
    j = _journal(folder)
    j.write_text(re.sub(r'"idx": 2\b', '"idx": ' + "7" * 5000, j.read_text()))


def deep_snapshot(folder: Path) -> None:
    snap = sorted((folder / "meta").glob("*_snapshot.json"))[-1]
    text = snap.read_text().rstrip()
    snap.write_text(text[:-1] + ', "x": ' + "[" * 5000 + "]" * 5000 + "}")


def surrogate_tag(folder: Path) -> None:
    j = _journal(folder)
    j.write_text(j.read_text().replace('"tag": "0003_today_checklist"', '"tag": "0003_today_checklist\\ud800"'))


def sql_link_loop(folder: Path) -> None:
    f = sorted(folder.glob("*.sql"))[-1]
    f.unlink()
    os.symlink(f.name, f)


def meta_link_loop(folder: Path) -> None:
    import shutil

    shutil.rmtree(folder / "meta")
    os.symlink("meta", folder / "meta")


def huge_journal(folder: Path) -> None:
    j = _journal(folder)
    data = json.loads(j.read_text())
    pad = [{"idx": 10 + i, "version": "7", "when": 1, "tag": f"x{i:07d}", "breakpoints": True} for i in range(110_000)]
    data["entries"] += pad
    j.write_text(json.dumps(data))


CASES = {
    "when-5000-digits": (huge_when, {2}),
    "idx-5000-digits": (huge_idx, {2}),
    "snapshot-nested-5000-deep": (deep_snapshot, {0, 1}),  # a finding on that snapshot (check: exit 1)
    "tag-with-lone-surrogate": (surrogate_tag, {0, 1}),
    "sql-symlink-to-itself": (sql_link_loop, {2}),
    "meta-symlink-to-itself": (meta_link_loop, {2}),
    "journal-over-8-MiB": (huge_journal, {2}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_ends_in_a_documented_exit(case: str, cli, sample: Path) -> None:
    spoil, codes = CASES[case]
    spoil(sample)
    for command in COMMANDS:
        r = cli(*command, "--migrations", str(sample))
        assert r.returncode != 70 and "internal error" not in r.stderr, (command, r.stderr)
        if command[0] == "check":
            assert r.returncode in codes, (command, r.returncode, r.stderr)
        else:
            assert r.returncode in codes | {0}, (command, r.returncode, r.stderr)
        if r.returncode == 2:
            assert len(r.stderr.strip().splitlines()) == 1 and str(sample) in r.stderr, r.stderr
        if "--json" in command and r.returncode != 2:
            json.loads(r.stdout)  # valid JSON, surrogates escaped
        r.stdout.encode("utf-8")  # everything printed is UTF-8 (a lone surrogate escaped, never raw)
