"""The differential harness: squawk 2.70 (``squawk-cli`` from PyPI) and gtsd-tui on the same files,
compared by (file, line, rule) on the rules both have, squawk's 0-based lines made 1-based.

Corpora: squawk's own rule test cases (``tests/data/squawk_cases``, each linted with the settings its
test used), the real dittofeed folder and the project's positioned cases. ``tests/test_lint_differential.py``
fails on a disagreement that ``tests/data/lint_deviations.tsv`` does not list; ``bench/lint_diff.py``
prints the figures."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from gtsd_tui.core.lint import RULES, Settings, lint_text

ROOT = Path(__file__).resolve().parent.parent.parent
CASES = ROOT / "tests" / "data" / "squawk_cases"
DEVIATIONS = ROOT / "tests" / "data" / "lint_deviations.tsv"
DITTOFEED = Path("/work/shared/corpus/dittofeed/drizzle")

# rules both tools have (same id, same meaning): the ones compared
COMPARED = frozenset(r for r in RULES if RULES[r].squawk)
OPT_IN = sorted(r for r in COMPARED if not RULES[r].default and r != "syntax-error")
# squawk's test names a rule; require-timeout-settings is the pair
CASE_RULES = {"require-timeout-settings": ("require-lock-timeout", "require-statement-timeout")}

Finding = tuple[str, int, str]  # (file relative to its corpus, 1-based line, rule)


def squawk_exe() -> str | None:
    exe = shutil.which("squawk") or str(Path(sys.executable).parent / "squawk")
    return exe if Path(exe).exists() else None


@dataclass(frozen=True)
class Mode:
    assume_in_transaction: bool
    pg_version: int | None = None

    def flags(self) -> list[str]:
        out = ["--assume-in-transaction" if self.assume_in_transaction else "--no-assume-in-transaction"]
        out += ["--include=" + ",".join(OPT_IN)]
        if self.pg_version is not None:
            out.append(f"--pg-version={self.pg_version}")
        return out

    def settings(self) -> Settings:
        base = Settings(assume_in_transaction=self.assume_in_transaction, included=frozenset(OPT_IN))
        if self.pg_version is not None:
            return Settings(
                pg_version=self.pg_version, assume_in_transaction=self.assume_in_transaction, included=base.included
            )
        return base


def run_squawk(root: Path, files: list[str], mode: Mode) -> set[Finding]:
    exe = squawk_exe()
    if exe is None:
        raise RuntimeError("squawk-cli is not installed (pip install squawk-cli==2.70.0)")
    out: set[Finding] = set()
    for i in range(0, len(files), 200):
        batch = files[i : i + 200]
        r = subprocess.run(
            [exe, *mode.flags(), "--reporter", "json", *batch], capture_output=True, text=True, cwd=root, check=False
        )
        if r.returncode not in (0, 1):
            raise RuntimeError(f"squawk failed ({r.returncode}): {r.stderr.strip()}")
        for v in json.loads(r.stdout or "[]"):
            if v["rule_name"] in COMPARED:
                path = root / v["file"]  # squawk names a file as given, relative to its working directory
                out.add((str(path.relative_to(root)), v["line"] + 1, v["rule_name"]))
    return out


def run_gtsd(root: Path, files: list[str], mode: Mode) -> set[Finding]:
    settings = mode.settings()
    out: set[Finding] = set()
    for name in files:
        for f in lint_text(name, (root / name).read_text("utf-8"), settings=settings):
            if f.rule in COMPARED:
                out.add((name, f.line, f.rule))
    return out


@dataclass
class Corpus:
    name: str
    root: Path
    groups: dict[Mode, list[str]]


def squawk_cases() -> tuple[Corpus, dict[str, dict]]:
    manifest: dict[str, dict] = json.loads((CASES / "cases.json").read_text())
    groups: dict[Mode, list[str]] = {}
    for name, c in sorted(manifest.items()):
        groups.setdefault(Mode(c["assume_in_transaction"], c["pg_version"]), []).append(name)
    return Corpus("squawk_cases", CASES, groups), manifest


def folder_corpus(name: str, root: Path, in_transaction: bool = True) -> Corpus:
    files = sorted(str(p.relative_to(root)) for p in root.rglob("*.sql"))
    return Corpus(name, root, {Mode(in_transaction): files})


def corpora() -> list[Corpus]:
    out = [squawk_cases()[0]]
    if DITTOFEED.is_dir():
        out.append(folder_corpus("dittofeed", DITTOFEED))
    return out


@dataclass
class Diff:
    squawk: set[tuple[str, str, int, str]]  # (corpus, file, line, rule)
    gtsd: set[tuple[str, str, int, str]]

    @property
    def disagreements(self) -> set[tuple[str, str, int, str, str]]:
        """(corpus, file, line, rule, who found it alone)."""
        return {(*k, "squawk-only") for k in self.squawk - self.gtsd} | {
            (*k, "gtsd-only") for k in self.gtsd - self.squawk
        }


def differ(cs: Iterable[Corpus]) -> Diff:
    sq: set[tuple[str, str, int, str]] = set()
    gt: set[tuple[str, str, int, str]] = set()
    for c in cs:
        for mode, files in c.groups.items():
            sq |= {(c.name, *f) for f in run_squawk(c.root, files, mode)}
            gt |= {(c.name, *f) for f in run_gtsd(c.root, files, mode)}
    return Diff(sq, gt)


def case_scores(diff: Diff, manifest: dict[str, dict]) -> dict[str, dict[str, list[str]]]:
    """Per tool: the bad cases caught and missed, the good cases with a false positive."""
    out: dict[str, dict[str, list[str]]] = {}
    for tool, found in (("squawk", diff.squawk), ("gtsd-tui", diff.gtsd)):
        by_file: dict[str, set[str]] = {}
        for corpus, file, _line, rule in found:
            if corpus == "squawk_cases":
                by_file.setdefault(file, set()).add(rule)
        caught, missed, fp = [], [], []
        for name, c in sorted(manifest.items()):
            hit = bool(by_file.get(name, set()) & set(CASE_RULES.get(c["rule"], (c["rule"],))))
            if c["expect"] == "err":
                (caught if hit else missed).append(name)
            elif hit:
                fp.append(name)
        out[tool] = {"caught": caught, "missed": missed, "false_positives": fp}
    return out


def read_deviations() -> dict[tuple[str, str, int, str, str], str]:
    """(corpus, file, line, rule, who) -> reason id (a row of the deviation table in docs/lint.md)."""
    out = {}
    for raw in DEVIATIONS.read_text().splitlines():
        if not raw.strip() or raw.startswith("#"):
            continue
        corpus, file, line, rule, who, reason = raw.split("\t")
        out[(corpus, file, int(line), rule, who)] = reason
    return out


def write_deviations(
    found: set[tuple[str, str, int, str, str]], reasons: dict[tuple[str, str, int, str, str], str]
) -> str:
    lines = ["# corpus\tfile\tline\trule\twho\treason (a row of docs/lint.md's deviation table)"]
    for k in sorted(found):
        lines.append("\t".join([k[0], k[1], str(k[2]), k[3], k[4], reasons.get(k, "TODO")]))
    return "\n".join(lines) + "\n"


# A wide TypeScript schema, generated as users generate it: the real drizzle-kit 0.31 (journal layout)
# and 1.0.0-rc.5 (a folder per migration). Three steps: the tables; columns, constraints and an index
# added to existing tables; then a column and a table dropped (no step both adds and drops in one
# place, where drizzle-kit would ask whether it is a rename).
KIT_HEAD = (
    "import { pgTable, pgEnum, serial, integer, smallint, bigint, varchar, char, text, timestamp, uuid, jsonb, "
    'boolean, index, uniqueIndex } from "drizzle-orm/pg-core";\n'
    'export const status = pgEnum("status", ["draft", "active"]);\n'
    'export const workspace = pgTable("workspace", {\n'
    '  id: uuid("id").primaryKey().defaultRandom(),\n'
    '  name: varchar("name", { length: 255 }).notNull(),\n'
    '  createdAt: timestamp("created_at").defaultNow().notNull(),\n'
    "EXTRA_WORKSPACE});\n"
)
KIT_TABLE = (
    'export const item{i} = pgTable("item_{i}", {{\n'
    '  id: serial("id").primaryKey(),\n'
    '  workspaceId: uuid("workspace_id").notNull().references(() => workspace.id, {{ onDelete: "cascade" }}),\n'
    '  code: char("code", {{ length: 4 }}),\n'
    '  rank: smallint("rank"),\n'
    '  score: integer("score").default(0).notNull(),\n'
    '  total: bigint("total", {{ mode: "number" }}),\n'
    '  state: status("state").default("draft").notNull(),\n'
    '  meta: jsonb("meta").default({{}}),\n'
    '  done: boolean("done").default(false),\n'
    '  note: text("note"),\n'
    'EXTRA}}, (t) => [index("item_{i}_ws_idx").on(t.workspaceId), '
    'uniqueIndex("item_{i}_code_key").on(t.workspaceId, t.code)]);\n'
)
KIT_ADDED = (
    '  plan: text("plan").notNull(),\n'
    '  owner: uuid("owner").references(() => workspace.id),\n'
    '  seenAt: timestamp("seen_at", { withTimezone: true }),\n'
    '  label: varchar("label", { length: 64 }).default("x"),\n'
)


def kit_schemas(tables: int = 6) -> list[str]:
    first = KIT_HEAD.replace("EXTRA_WORKSPACE", "") + "".join(
        KIT_TABLE.format(i=i).replace("EXTRA", "") for i in range(tables)
    )
    second = KIT_HEAD.replace("EXTRA_WORKSPACE", '  slug: text("slug"),\n') + "".join(
        KIT_TABLE.format(i=i).replace("EXTRA", KIT_ADDED if i % 2 == 0 else "") for i in range(tables)
    )
    third = second.replace('  slug: text("slug"),\n', "").replace(
        KIT_TABLE.format(i=tables - 1).replace("EXTRA", KIT_ADDED if (tables - 1) % 2 == 0 else ""), ""
    )
    return [first, second, third]


def kit_corpora(tmp: Path) -> list[Corpus]:
    """The wide schema through drizzle-kit 0.31 and 1.0, each migration copied under a stable name
    (``kit031/0001_step2.sql``, ``kit1/step2.sql``: 1.0 names its folders by the second)."""
    from tests.helpers.node_v1 import generate_v0, generate_v1

    out = []
    for name, gen in (("kit031", generate_v0), ("kit1", generate_v1)):
        project = tmp / name / "project"
        project.mkdir(parents=True)
        (project / "package.json").write_text('{"type": "module"}\n')
        dest = tmp / name / "sql"
        dest.mkdir()
        for n, schema in enumerate(kit_schemas(), start=1):
            (project / "schema.ts").write_text(schema)
            gen(project, f"step{n}")
        if name == "kit031":
            for p in sorted((project / "drizzle").glob("*.sql")):
                (dest / p.name).write_text(p.read_text())
        else:
            for p in sorted((project / "drizzle").glob("*/migration.sql")):
                (dest / (p.parent.name.split("_", 1)[1] + ".sql")).write_text(p.read_text())
        out.append(folder_corpus(name, dest))
    return out
