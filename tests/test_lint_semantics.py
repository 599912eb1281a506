"""The semantics squawk gets right (and a few it does not), and the safe patterns that must stay silent."""

from __future__ import annotations

import pytest

from gtsd_tui.core.lint import Settings, lint_text


def rules(text: str, **kw: object) -> list[tuple[str, int, int]]:
    settings = Settings(**kw)  # type: ignore[arg-type]
    return [(f.rule, f.line, f.column) for f in lint_text("m.sql", text, settings=settings)]


def ids(text: str, **kw: object) -> set[str]:
    return {r for r, _, _ in rules(text, **kw)}


ADD = 'ALTER TABLE "t" ADD COLUMN IF NOT EXISTS "c" '


@pytest.mark.parametrize(
    "column",
    [
        "uuid DEFAULT myschema.make_id()",  # a user function
        "text DEFAULT random()::text",  # a cast around random()
        "uuid DEFAULT uuidv7()",
        'bigint GENERATED ALWAYS AS ("a" * 2) STORED',
        "bigint GENERATED ALWAYS AS IDENTITY",
        "bigserial",
        "timestamptz DEFAULT clock_timestamp()",
    ],
)
def test_volatile_or_rewriting_columns(column: str) -> None:
    assert "adding-field-with-default" in ids(ADD + column + ";")


@pytest.mark.parametrize(
    "column",
    [
        "bigint DEFAULT 10",
        "timestamptz DEFAULT now()",
        "jsonb DEFAULT '{}'::jsonb",
        "text[] DEFAULT ARRAY[]::text[]",
        "boolean DEFAULT false NOT NULL",
        "text DEFAULT lower('X')",
        "bigint DEFAULT NULL",
    ],
)
def test_non_volatile_defaults_are_silent_on_pg_11_and_later(column: str) -> None:
    assert "adding-field-with-default" not in ids(ADD + column + ";")


def test_pg_version_decides_constant_defaults() -> None:
    assert "adding-field-with-default" in ids(ADD + "bigint DEFAULT 10;", pg_version=10)
    assert "adding-field-with-default" not in ids(ADD + "bigint DEFAULT 10;", pg_version=16)


def test_not_valid_then_validate_in_the_same_transaction() -> None:
    text = (
        'ALTER TABLE "t" ADD CONSTRAINT "c_pos" CHECK ("c" > 0) NOT VALID;\n--> statement-breakpoint\n'
        'ALTER TABLE "t" VALIDATE CONSTRAINT "c_pos";'
    )
    assert ("constraint-missing-not-valid", 3, 17) in rules(text)  # at VALIDATE, as squawk
    # outside a transaction (squawk's default, assume_in_transaction = false) it is the safe pattern
    assert "constraint-missing-not-valid" not in ids(text, assume_in_transaction=False)
    assert "constraint-missing-not-valid" not in ids(text.split("\n")[0])


def test_inline_references_in_add_column() -> None:
    assert "adding-foreign-key-constraint" in ids(ADD + 'bigint REFERENCES "u" ("id");')


@pytest.mark.parametrize(
    ("constraint", "rule"),
    [
        ('UNIQUE ("a")', "disallowed-unique-constraint"),
        ('PRIMARY KEY ("a")', "adding-serial-primary-key-field"),
        ('EXCLUDE USING gist ("a" WITH =)', "disallowed-unique-constraint"),
    ],
)
def test_index_building_constraints_on_existing_tables(constraint: str, rule: str) -> None:
    text = f'ALTER TABLE "t" ADD CONSTRAINT "k" {constraint};'
    assert rule in ids(text)
    assert rule not in ids('CREATE TABLE IF NOT EXISTS "t" ("a" bigint);\n' + text)


def test_alter_type_rename_value() -> None:
    assert ("renaming-object", 1, 19) in rules("ALTER TYPE \"mood\" RENAME VALUE 'a' TO 'b';")


def test_schema_qualified_names_decide_created_in_this_file() -> None:
    create = 'CREATE TABLE IF NOT EXISTS "audit"."t" ("a" bigint);\n'
    assert "require-concurrent-index-creation" not in ids(
        create + 'CREATE INDEX IF NOT EXISTS "i" ON "audit"."t" ("a");'
    )
    # another schema's table of the same name is not the one this file created
    assert "require-concurrent-index-creation" in ids(create + 'CREATE INDEX IF NOT EXISTS "i" ON "t" ("a");')
    public = 'CREATE TABLE IF NOT EXISTS "t" ("a" bigint);\n'
    assert "require-concurrent-index-creation" not in ids(
        public + 'CREATE INDEX IF NOT EXISTS "i" ON "public"."t" ("a");'
    )


@pytest.mark.parametrize(
    "statement",
    [
        'REINDEX INDEX CONCURRENTLY "i";',
        'ALTER TABLE "p" DETACH PARTITION "p_2020" CONCURRENTLY;',
        'DROP INDEX CONCURRENTLY IF EXISTS "i";',
        'CREATE INDEX CONCURRENTLY IF NOT EXISTS "i" ON "t" ("a");',
    ],
)
def test_concurrently_mixed_covers_every_concurrent_form(statement: str) -> None:
    assert "concurrently-mixed" not in ids(statement)
    assert ("concurrently-mixed", 3, 1) in rules("SELECT 1;\n--> statement-breakpoint\n" + statement)


def test_set_not_null_after_a_validated_check_is_safe_on_pg_12() -> None:
    text = (
        'ALTER TABLE "t" ADD CONSTRAINT "c_nn" CHECK ("c" IS NOT NULL) NOT VALID;\n'
        'ALTER TABLE "t" VALIDATE CONSTRAINT "c_nn";\n'
        'ALTER TABLE "t" ALTER COLUMN "c" SET NOT NULL;'
    )
    settings = {"assume_in_transaction": False}
    assert "adding-not-nullable-field" not in ids(text, **settings)
    assert "adding-not-nullable-field" in ids(text, pg_version=11, **settings)
    unvalidated = text.replace('ALTER TABLE "t" VALIDATE CONSTRAINT "c_nn";\n', "")
    assert "adding-not-nullable-field" in ids(unvalidated, **settings)


def test_safe_patterns_stay_silent() -> None:
    generated = ADD + 'bigint GENERATED ALWAYS AS ("a" * 2) STORED NOT NULL;'
    assert "adding-required-field" not in ids(generated)
    assert "create-index-if-not-exists" not in ids(
        'CREATE TABLE IF NOT EXISTS "t" ("a" bigint);\nCREATE INDEX ON "t" ("a");'
    )
    assert "create-table-if-not-exists" not in ids('CREATE TEMP TABLE "scratch" ("a" bigint);')
    # varchar(n) -> text or a wider varchar keeps the relfilenode: no rewrite. The old type is known when
    # this file added the column (to an existing table) or created it.
    widen = ADD.replace('"c"', '"a"') + "varchar(20);\n--> statement-breakpoint\n"
    for new in ("text", "varchar(40)", "varchar(20)", "varchar"):
        assert "changing-column-type" not in ids(widen + f'ALTER TABLE "t" ALTER COLUMN "a" SET DATA TYPE {new};')
    for new in ("varchar(10)", "bigint", 'text USING "a"::text'):
        assert "changing-column-type" in ids(widen + f'ALTER TABLE "t" ALTER COLUMN "a" SET DATA TYPE {new};')
    assert "changing-column-type" in ids('ALTER TABLE "t" ALTER COLUMN "a" SET DATA TYPE text;')  # old type unknown


def test_do_blocks_are_linted_with_positions_in_the_file() -> None:
    text = (
        "SELECT 1;\n"
        "DO $$ BEGIN\n"
        ' ALTER TABLE "orders" ADD CONSTRAINT "orders_user_fk" FOREIGN KEY ("user_id") REFERENCES "users"("id");\n'
        "EXCEPTION\n"
        " WHEN duplicate_object THEN null;\n"
        "END $$;\n"
        "DO $$ BEGIN\n"
        "  CREATE TYPE \"mood\" AS ENUM ('a');\n"
        "EXCEPTION WHEN duplicate_object THEN null;\n"
        "END $$;"
    )
    found = rules(text)
    assert ("adding-foreign-key-constraint", 3, 27) in found
    assert ("constraint-missing-not-valid", 3, 23) in found  # at ADD CONSTRAINT
    assert "create-type-guarded" not in {r for r, _, _ in found}  # the handler guards it
    # without a handler the idempotency rules apply inside too
    assert ("create-type-guarded", 2, 7) in rules("DO $$ BEGIN\n      CREATE TYPE \"m\" AS ENUM ('a'); END $$;")


def test_a_table_created_earlier_in_the_file_is_exempt() -> None:
    text = (
        'CREATE TABLE IF NOT EXISTS "t" ("a" bigint);\n--> statement-breakpoint\n'
        'ALTER TABLE "t" ADD COLUMN IF NOT EXISTS "b" bigint NOT NULL;\n--> statement-breakpoint\n'
        'ALTER TABLE "t" ADD CONSTRAINT "t_fk" FOREIGN KEY ("b") REFERENCES "u"("id");'
    )
    assert ids(text) == set()
