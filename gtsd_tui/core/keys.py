"""SHA-256 of short keys (a folder's path, a cache entry's name) without ``hashlib``.

``hashlib`` loads OpenSSL (``_hashlib``) at its import, a few milliseconds of every start of the
commands git hooks call; CPython's builtin SHA-256 module gives the same digest and loads nothing.
File contents are still hashed with ``hashlib`` (:mod:`gtsd_tui.core.migrations.hashing`): OpenSSL is
the faster one on megabytes.
"""

from __future__ import annotations

try:  # CPython <= 3.11 names it _sha256, 3.12 and later _sha2
    from _sha256 import sha256  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # pragma: no cover
    try:
        from _sha2 import sha256  # type: ignore[import-not-found,no-redef,unused-ignore]
    except ImportError:  # a build without the builtin hashes
        from hashlib import sha256  # type: ignore[assignment,unused-ignore]


def sha256_hex(data: bytes) -> str:
    """The hexadecimal SHA-256 of ``data`` (``hashlib.sha256(data).hexdigest()``)."""
    return str(sha256(data).hexdigest())
