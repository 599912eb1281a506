"""Hashing and splitting exactly as drizzle-orm (spec section 2.2 and the worked example)."""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from gtsd_tui.core.migrations.hashing import BREAKPOINT, digest_bytes, drizzle_hash, line_col, split_chunks

INIT = b'CREATE TABLE "users" (\n\t"id" serial PRIMARY KEY NOT NULL,\n\t"name" text NOT NULL\n);\n'
POSTS = (
    b'CREATE TABLE "posts" (\n\t"id" serial PRIMARY KEY NOT NULL,\n\t"user_id" integer,\n\t"title" text\n);\n'
    b"--> statement-breakpoint\n"
    b'ALTER TABLE "posts" ADD CONSTRAINT "posts_user_id_users_id_fk" FOREIGN KEY ("user_id") '
    b'REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;'
)


def test_worked_example_vectors() -> None:
    assert len(INIT) == 83 and len(POSTS) == 281
    assert drizzle_hash(INIT) == "2768567a31c6d4b6f06d54e6ebbcd309d4fddda42c849ba8cfda1f76b56687b1"
    assert drizzle_hash(POSTS) == "e9c3db2c47f41f0701f24b4af1dac269ecd4981bc89a7f3312b32629b1417f00"
    assert drizzle_hash(b"") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    custom = b"-- Custom SQL migration file, put your code below! --"
    assert drizzle_hash(custom) == "b3cc75fa802f8a5b333c480eb0d77f3d2185602e108f36fb33d3ade3c6939413"


def test_split_keeps_whitespace_like_drizzle() -> None:
    chunks = split_chunks(POSTS.decode())
    assert [c.text for c in chunks] == POSTS.decode().split(BREAKPOINT)
    assert chunks[1].text.startswith("\nALTER TABLE")
    assert chunks[1].line == 6 and chunks[1].offset == POSTS.decode().index(BREAKPOINT) + len(BREAKPOINT)


def test_marker_inside_a_literal_still_splits() -> None:
    text = "SELECT '--> statement-breakpoint' AS x;"
    assert [c.text for c in split_chunks(text)] == ["SELECT '", "' AS x;"]


def test_bom_and_crlf_hash_the_raw_bytes() -> None:
    for raw in (b"\xef\xbb\xbfSELECT 1;", b"SELECT 1;\r\nSELECT 2;\r\n"):
        assert drizzle_hash(raw) == hashlib.sha256(raw).hexdigest()
    assert digest_bytes(b"\xef\xbb\xbfSELECT 1;").has_bom


def test_invalid_utf8_hashes_the_replaced_text() -> None:
    raw = b"SELECT 'caf\xe9';"
    d = digest_bytes(raw)
    assert d.utf8_error_at == 11
    assert d.hash == hashlib.sha256("SELECT 'caf\ufffd';".encode()).hexdigest() != hashlib.sha256(raw).hexdigest()


@given(st.binary(max_size=200))
def test_hash_is_sha256_of_the_decoded_text(raw: bytes) -> None:
    expected = hashlib.sha256(raw.decode("utf-8", "replace").encode("utf-8")).hexdigest()
    assert drizzle_hash(raw) == expected == digest_bytes(raw).hash


@given(st.lists(st.text(alphabet="ab\n;-> ", max_size=20), max_size=6))
def test_chunk_offsets_point_into_the_text(parts: list[str]) -> None:
    text = BREAKPOINT.join(parts)
    for chunk in split_chunks(text):
        assert text[chunk.offset : chunk.offset + len(chunk.text)] == chunk.text
        assert line_col(text, chunk.offset)[0] == chunk.line


@given(st.binary(max_size=60))
def test_windowed_utf8_check_finds_the_same_offset(raw: bytes) -> None:
    import gtsd_tui.core.migrations.hashing as h

    try:
        raw.decode("utf-8")
        expected = None
    except UnicodeDecodeError as exc:
        expected = exc.start
    saved = h._WINDOW
    h._WINDOW = 7  # force the windowed path on small inputs
    try:
        assert h._utf8_error(raw) == expected
        assert h._has_markers(raw + b"<<<<<<<") and h._has_markers(raw) == (b"<<<<<<<" in raw)
    finally:
        h._WINDOW = saved
