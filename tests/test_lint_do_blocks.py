"""DO blocks are linted cheaply without losing a finding: drizzle-kit's own shape is read without the
PL/pgSQL parser (and must read exactly as the parser reads it), a body with no statement a rule reads
is skipped, any other body goes through the PL/pgSQL parser."""

from __future__ import annotations

import pytest

from gtsd_tui.core.lint import Settings, lint_text, plpgsql

# as drizzle-kit 0.2x writes them (foreign keys and enums), and variants of spacing and case
DRIZZLE_BODIES = [
    '\n ALTER TABLE "orders" ADD CONSTRAINT "orders_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES'
    ' "public"."users"("id") ON DELETE cascade ON UPDATE no action;\nEXCEPTION\n WHEN duplicate_object THEN null;\n',
    "\n CREATE TYPE \"public\".\"mood\" AS ENUM('sad', 'happy');\nEXCEPTION\n WHEN duplicate_object THEN null;\n",
    " BEGIN\n  create type mood as enum ('a', 'b') ;\nexception when duplicate_object then null; end; ",
]
# not drizzle-kit's shape: the PL/pgSQL parser reads them
OTHER_BODIES = [
    ' BEGIN\n ALTER TABLE "a" ADD COLUMN IF NOT EXISTS "x" text;\n ALTER TABLE "b" ADD COLUMN IF NOT EXISTS "y" text;\n'
    "EXCEPTION WHEN duplicate_object THEN null; END ",
    ' BEGIN\n -- a note\n ALTER TABLE "a" DROP COLUMN IF EXISTS "x";\nEXCEPTION WHEN duplicate_object THEN null; END ',
    " BEGIN\n IF NOT EXISTS (SELECT 1) THEN\n  CREATE TYPE \"m\" AS ENUM ('a');\n END IF;\nEND ",
    ' BEGIN\n ALTER TABLE "a" ADD COLUMN IF NOT EXISTS "x" text;\nEXCEPTION WHEN undefined_table THEN null; END ',
    " BEGIN\n  create type mood as enum ('a;b');\nexception when duplicate_object then null; end; ",
]


def _body(b: str) -> str:
    return b if b.lstrip().upper().startswith("BEGIN") else " BEGIN" + b + "END "


@pytest.mark.parametrize("body", DRIZZLE_BODIES)
def test_drizzle_shape_reads_as_the_plpgsql_parser_reads_it(body: str) -> None:
    body = _body(body)
    fast = plpgsql._drizzle_queries(body)
    assert fast is not None
    assert fast == plpgsql._plpgsql_queries(body)


@pytest.mark.parametrize("body", OTHER_BODIES)
def test_other_shapes_go_through_the_plpgsql_parser(body: str) -> None:
    assert plpgsql._drizzle_queries(body) is None
    assert plpgsql._plpgsql_queries(body) is not None


def _without_shortcuts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plpgsql, "_drizzle_queries", lambda body: None)
    monkeypatch.setattr(plpgsql, "_RULE_WORD", __import__("re").compile(""))
    plpgsql._read.cache_clear()


# bench/lint.py's synthetic statements (without importing the bench, which sets environment variables)
SYNTHETIC = [
    'CREATE TABLE "t{i}" (\n\t"id" serial PRIMARY KEY NOT NULL,\n\t"name" text NOT NULL\n);',
    'ALTER TABLE "t{i}" ADD COLUMN IF NOT EXISTS "email" varchar(255);',
    'CREATE INDEX IF NOT EXISTS "t{i}_name_idx" ON "t{i}" USING btree ("name");',
    "INSERT INTO \"t{i}\" (\"name\") VALUES ('a'), ('b');",
    'DO $$ BEGIN\n ALTER TABLE "t{i}" ADD CONSTRAINT "t{i}_fk" FOREIGN KEY ("id") REFERENCES "users"("id");\n'
    "EXCEPTION\n WHEN duplicate_object THEN null;\nEND $$;",
    'DO $$ BEGIN\n ALTER TABLE "old_{i}" ADD CONSTRAINT "old_{i}_fk" FOREIGN KEY ("u") REFERENCES "users"("id");\n'
    "EXCEPTION\n WHEN duplicate_object THEN null;\nEND $$;",
]


def _corpus() -> list[str]:
    blocks = [f"DO $${_body(b)}$$;" for b in DRIZZLE_BODIES + OTHER_BODIES]
    blocks += [
        'DO $$ BEGIN INSERT INTO "t" VALUES (1); END $$;',  # no statement a rule reads
        'DO $$ BEGIN UPDATE "t" SET "a" = 1, "a" = 2; END $$;',
        "DO $$ BEGIN RESET lock_timeout; END $$;",
        'DO LANGUAGE plpgsql $x$ BEGIN\n ALTER TABLE "orders" ALTER COLUMN "n" SET DATA TYPE bigint;\nEND $x$;',
    ]
    bp = "\n--> statement-breakpoint\n"
    synthetic = bp.join(st.format(i=i) for i in range(30) for st in SYNTHETIC)
    return [synthetic, bp.join(blocks)]


def test_same_findings_with_and_without_the_shortcuts(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(included=frozenset({"require-lock-timeout", "require-table-schema", "ban-add-column"}))
    corpus = _corpus()
    plpgsql._read.cache_clear()
    fast = [lint_text("m.sql", text, settings=settings) for text in corpus]
    _without_shortcuts(monkeypatch)
    slow = [lint_text("m.sql", text, settings=settings) for text in corpus]
    assert fast == slow
    assert sum(len(f) for f in fast) > 100  # the corpus does fire rules, inside DO blocks too


def test_a_finding_inside_a_do_block_is_still_reported() -> None:
    plpgsql._read.cache_clear()
    drizzle = (
        "-- 0004\nDO $$ BEGIN\n"
        ' ALTER TABLE "orders" ADD CONSTRAINT "orders_user_fk" FOREIGN KEY ("user_id") REFERENCES "users"("id");\n'
        "EXCEPTION\n WHEN duplicate_object THEN null;\nEND $$;\n"
    )
    nested = (
        "-- 0005\nDO $$ BEGIN\n IF true THEN\n"
        '  ALTER TABLE "orders" ADD COLUMN IF NOT EXISTS "n" bigint NOT NULL;\n END IF;\nEND $$;\n'
    )
    for _ in range(2):  # the second time from the cache
        found = [(f.rule, f.line, f.column) for f in lint_text("m.sql", drizzle)]
        assert ("adding-foreign-key-constraint", 3, 27) in found
        assert ("constraint-missing-not-valid", 3, 23) in found
        assert [(f.rule, f.line, f.column) for f in lint_text("m.sql", nested)] == [("adding-required-field", 4, 24)]
    assert plpgsql._read.cache_info().hits >= 2
