"""Derived database names: within 63 bytes, never inside a UTF-8 character, distinct per suffix."""

from __future__ import annotations

import pytest

from gtsd_tui.core.dbnames import derived_name, derived_prefix, rehearse_name, rehearse_owner

SUFFIXES = ["__gtsd_template", "__gtsd_spare", "__gtsd_next", "__gtsd_trash_0123456789abcdef"]
BASES = ["app", "l" * 48, "l" * 56, "l" * 62, "l" * 63, "é" * 31 + "x", "日本" * 10, "a" * 40 + "😀" * 6]


@pytest.mark.parametrize("base", BASES)
def test_every_suffix_fits_and_ends_the_name(base: str) -> None:
    names = [derived_name(base, s) for s in SUFFIXES]
    for name, suffix in zip(names, SUFFIXES, strict=True):
        assert len(name.encode()) <= 63, name
        assert name.endswith(suffix) and name != base
        name.encode("utf-8", "strict")  # whole characters only
    assert len(set(names)) == len(names)


def test_short_names_are_unchanged() -> None:
    assert derived_name("app", "__gtsd_template") == "app__gtsd_template"
    assert derived_name("a" * 48, "__gtsd_template") == "a" * 48 + "__gtsd_template"  # exactly 63 bytes


def test_shortened_names_keep_bases_apart_and_share_a_prefix() -> None:
    one, two = "x" * 60 + "1", "x" * 60 + "2"
    assert derived_name(one, "__gtsd_spare") != derived_name(two, "__gtsd_spare")
    assert derived_name(one, "__gtsd_trash_" + "0" * 16).startswith(derived_prefix(one, 29))
    assert derived_name(one, "__gtsd_trash_" + "f" * 16).startswith(derived_prefix(one, 29))


def test_a_multibyte_base_is_cut_between_characters() -> None:
    base = "é" * 40  # 80 bytes
    name = derived_name(base, "__gtsd_template")
    assert len(name.encode()) <= 63 and name.startswith("é" * 15)


def test_rehearsal_copies_carry_their_owner() -> None:
    name = rehearse_name("é" * 40, 4194303, "host-a", "beef")
    assert len(name.encode()) <= 63
    owner = rehearse_owner(name)
    assert owner is not None and owner[0] == 4194303
    assert rehearse_owner(rehearse_name("app", 12, "host-b", "0000")) != owner
    assert rehearse_owner("app__gtsd_rehearse_1234abcd") is None  # the old names: owner unknown, left alone


def test_an_overlong_suffix_is_refused() -> None:
    with pytest.raises(ValueError):
        derived_name("app", "_" * 60)
