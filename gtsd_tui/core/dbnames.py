"""Names of the databases gtsd-tui derives from a target's name (template, spare, trash, rehearsal
copies, and any later per-branch database): always within PostgreSQL's identifier limit.

PostgreSQL truncates an identifier to ``NAMEDATALEN - 1`` = 63 *bytes* (silently for a quoted name
in ``CREATE DATABASE``/``ALTER DATABASE``), so ``target + "__gtsd_template"`` for a 63-byte target
would name the target itself. Every derived name goes through :func:`derived_name`.
"""

from __future__ import annotations

import hashlib
import re

MAX_BYTES = 63  # NAMEDATALEN - 1
HASH_LEN = 8  # hex characters of the base's SHA-256 kept when the base is shortened


def derived_name(base: str, suffix: str) -> str:
    """``base + suffix`` when it fits in 63 bytes (UTF-8); otherwise the longest prefix of ``base``
    that leaves room, cut at a character boundary (never inside a UTF-8 sequence), then ``_`` and 8
    hex characters of the SHA-256 of the *whole* base, then ``suffix``. So:

    - the result is at most 63 bytes and always ends with ``suffix`` (it never equals ``base`` nor
      any other suffix's name for the same base);
    - two bases that share a long prefix still get different names (the hash is of the whole base);
    - the same ``(base, suffix)`` always gives the same name (pure: no clock, no randomness), and
      every name for one base and one suffix *length* starts with the same bytes, so a family of
      names (``__gtsd_trash_<id>`` with fixed-width ids) can be found with one ``LIKE`` on
      :func:`derived_prefix`.

    ``suffix`` must be ASCII and at most 63 - 9 bytes long (ValueError otherwise)."""
    if not suffix.isascii() or len(suffix) > MAX_BYTES - HASH_LEN - 1:
        raise ValueError(f"suffix {suffix!r}: must be ASCII and at most {MAX_BYTES - HASH_LEN - 1} bytes")
    return derived_prefix(base, len(suffix)) + suffix


def derived_prefix(base: str, suffix_len: int) -> str:
    """What :func:`derived_name` puts before a suffix of ``suffix_len`` bytes when the name must be
    shortened (the base cut by bytes, ``_``, 8 hex of its hash); the base itself when it fits."""
    if len(base.encode("utf-8", "surrogatepass")) + suffix_len <= MAX_BYTES:
        return base
    tag = "_" + hashlib.sha256(base.encode("utf-8", "surrogatepass")).hexdigest()[:HASH_LEN]
    room = MAX_BYTES - suffix_len - len(tag)
    return _cut(base, room) + tag


def _cut(text: str, room: int) -> str:
    """The longest prefix of ``text`` of at most ``room`` UTF-8 bytes, whole characters only."""
    out, used = [], 0
    for ch in text:
        size = len(ch.encode("utf-8", "surrogatepass"))
        if used + size > room:
            break
        out.append(ch)
        used += size
    return "".join(out)


def fits(name: str) -> bool:
    """True when PostgreSQL keeps ``name`` as it is (at most 63 bytes)."""
    return len(name.encode("utf-8", "surrogatepass")) <= MAX_BYTES


REHEARSE_SUFFIX = "__gtsd_rehearse_"  # + <pid: 7 hex>_<host: 4 hex>_<random: 4 hex>
_OWNER = re.compile(r"__gtsd_rehearse_([0-9a-f]{7})_([0-9a-f]{4})_([0-9a-f]{4})\Z")


def host_tag(hostname: str) -> str:
    """4 hex characters naming the machine a rehearsal runs on (its copies carry it)."""
    return hashlib.sha256(hostname.encode("utf-8", "surrogatepass")).hexdigest()[:4]


def rehearse_name(target: str, pid: int, hostname: str, token: str) -> str:
    """A rehearsal's copy of ``target``: its owner's pid and host in the name, so a later rehearsal on
    the same host can tell a copy whose process is gone (:func:`rehearse_owner`); ``token``: 4 hex."""
    return derived_name(target, f"{REHEARSE_SUFFIX}{pid & 0xFFFFFFF:07x}_{host_tag(hostname)}_{token}")


def rehearse_owner(name: str) -> tuple[int, str] | None:
    """The pid and host tag in a rehearsal copy's name; None for any other name."""
    m = _OWNER.search(name)
    return (int(m.group(1), 16), m.group(2)) if m else None


BRANCH_SUFFIX = "__gtsd_br_"  # + <branch, ASCII-safe, at most 24 bytes>_<8 hex of the branch's SHA-256>
STALE_SUFFIX = "__gtsd_brold_"  # + 16 hex: milliseconds (12) and a random tag (4)
PREFIX_SUFFIX = "__gtsd_pt_"  # + 16 hex of a migration prefix's fingerprint
STAGE_SUFFIX = "__gtsd_bnext"  # a branch's database being built from a prefix template
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def branch_suffix(branch: str) -> str:
    """The suffix of a branch's parked database: ``__gtsd_br_`` + the branch name with every run of
    characters outside ``[A-Za-z0-9._-]`` replaced by ``-``, cut to 24 bytes, + ``_`` + 8 hex of the
    SHA-256 of the exact branch name (``feature/billing`` -> ``__gtsd_br_feature-billing_1b2c3d4e``).
    Two branches never share a suffix unless their names' hashes collide."""
    slug = _UNSAFE.sub("-", branch)[:24]
    digest = hashlib.sha256(branch.encode("utf-8", "surrogatepass")).hexdigest()[:HASH_LEN]
    return f"{BRANCH_SUFFIX}{slug}_{digest}"


def parked_name(target: str, branch: str) -> str:
    """Where ``target`` is kept while ``branch`` is not checked out (at most 63 bytes)."""
    return derived_name(target, branch_suffix(branch))


def prefix_template_name(target: str, fingerprint: str) -> str:
    """The template of the database migrated up to the prefix whose fingerprint is ``fingerprint``."""
    return derived_name(target, PREFIX_SUFFIX + fingerprint[:16])


def prefix_template_family(target: str) -> str:
    """What every prefix template's name of ``target`` starts with (16 hex characters follow)."""
    return derived_prefix(target, len(PREFIX_SUFFIX) + 16) + PREFIX_SUFFIX


def stage_name(target: str) -> str:
    return derived_name(target, STAGE_SUFFIX)


def stale_name(target: str, tag: str) -> str:
    """A parked database whose migrations no longer fit its branch, kept (never dropped) under a
    name of its own; ``tag``: 16 hex characters."""
    return derived_name(target, STALE_SUFFIX + tag)
