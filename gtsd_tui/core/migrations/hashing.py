"""Hashing and statement splitting exactly as drizzle-orm does it (spec section 2.2).

drizzle-orm reads a file with ``readFileSync(path).toString()`` (UTF-8, invalid bytes become
U+FFFD, a BOM is kept), hashes ``sha256`` of that string encoded as UTF-8 and splits it on the
literal ``--> statement-breakpoint``.
"""

from __future__ import annotations

import codecs
import os

from gtsd_tui.core.record import FrozenRecord

BREAKPOINT = "--> statement-breakpoint"
BOM = b"\xef\xbb\xbf"


def drizzle_text(raw: bytes) -> str:
    """The string drizzle-orm sees for these bytes."""
    return raw.decode("utf-8", "replace")


def _sha256(data: bytes) -> str:
    from hashlib import sha256  # imported on first use: OpenSSL's load stays off the console's first paint

    return sha256(data).hexdigest()


def drizzle_hash(raw: bytes) -> str:
    """``sha256`` hex of the file as drizzle-orm computes it (equal to sha256(raw) for valid UTF-8)."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return _sha256(drizzle_text(raw).encode("utf-8"))
    return _sha256(raw)


class FileDigest(FrozenRecord):
    _fields = ("hash", "size", "utf8_error_at", "has_bom", "maybe_markers", "nul_at")

    hash: str
    size: int
    utf8_error_at: int | None  # byte offset of the first invalid UTF-8 sequence, if any
    has_bom: bool
    maybe_markers: bool  # holds "<<<<<<<": look closer for git conflict markers
    nul_at: tuple[int, int] | None  # (line, column) of the first NUL byte, if any

    def __init__(
        self,
        hash: str,
        size: int,
        utf8_error_at: int | None,
        has_bom: bool,
        maybe_markers: bool = False,
        nul_at: tuple[int, int] | None = None,
    ) -> None:
        self.hash = hash
        self.size = size
        self.utf8_error_at = utf8_error_at
        self.has_bom = has_bom
        self.maybe_markers = maybe_markers
        self.nul_at = nul_at


NUL_MESSAGE = (
    "NUL byte: PostgreSQL ends the query text there, so drizzle-orm would run only what comes before it "
    "and record the whole file's hash; remove it"
)


def byte_line_col(raw: bytes, offset: int) -> tuple[int, int]:
    """1-based line and column (in characters) of a byte offset."""
    start = raw.rfind(b"\n", 0, offset) + 1
    return raw.count(b"\n", 0, offset) + 1, len(raw[start:offset].decode("utf-8", "replace")) + 1


def nul_position(raw: bytes) -> tuple[int, int] | None:
    at = raw.find(b"\0")
    return None if at < 0 else byte_line_col(raw, at)


_WINDOW = 4 << 20


def _utf8_error(raw: bytes) -> int | None:
    """Offset of the first invalid UTF-8 byte, checked in 4 MB windows (no long GIL hold on big files)."""
    if len(raw) <= _WINDOW:
        try:
            raw.decode("utf-8")
            return None
        except UnicodeDecodeError as exc:
            return exc.start
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    view = memoryview(raw)
    for start in range(0, len(raw), _WINDOW):
        pending = len(decoder.getstate()[0])  # bytes of a character cut by the previous window
        try:
            decoder.decode(view[start : start + _WINDOW], final=start + _WINDOW >= len(raw))
        except UnicodeDecodeError as exc:  # exc.start counts from the pending bytes
            return start - pending + exc.start
    return None


def _has_markers(raw: bytes) -> bool:
    return any(raw.find(b"<<<<<<<", i, i + _WINDOW + 7) >= 0 for i in range(0, max(len(raw), 1), _WINDOW))


def digest_bytes(raw: bytes) -> FileDigest:
    error_at = _utf8_error(raw)
    if error_at is None:
        value = _sha256(raw)
    else:
        value = _sha256(drizzle_text(raw).encode("utf-8"))
    return FileDigest(value, len(raw), error_at, raw.startswith(BOM), _has_markers(raw), nul_position(raw))


_CHUNK = 1 << 20
_O_READ = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)


def read_file(path: str | os.PathLike[str]) -> bytes:
    """The whole file, read with ``os.read`` (half the per-file cost of ``open().read()``, which builds
    a buffered file object: a 5,000-migration folder reads 10,000 small files). Raises OSError as
    ``open`` does, naming the file."""
    fd = os.open(path, _O_READ)
    try:
        chunks = []
        while chunk := os.read(fd, _CHUNK):
            chunks.append(chunk)
    except OSError as exc:  # a directory opens, and fails on read: named like open's error
        raise OSError(exc.errno, exc.strerror, os.fspath(path)) from None
    finally:
        os.close(fd)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def digest_file(path: str) -> FileDigest:
    """Digest of a file on disk."""
    return digest_bytes(read_file(path))


class Chunk(FrozenRecord):
    """One piece of a migration as drizzle-orm sends it, with its place in the file text."""

    _fields = ("index", "text", "offset", "line")

    index: int
    text: str
    offset: int  # character offset of the chunk's first character in the file text
    line: int  # 1-based line of that character

    def __init__(self, index: int, text: str, offset: int, line: int) -> None:
        self.index = index
        self.text = text
        self.offset = offset
        self.line = line

    @property
    def is_blank(self) -> bool:
        return not self.text.strip()


def split_chunks(text: str) -> list[Chunk]:
    """Split like ``query.split('--> statement-breakpoint')``, keeping offsets and lines."""
    chunks: list[Chunk] = []
    offset = 0
    line = 1
    for index, piece in enumerate(text.split(BREAKPOINT)):
        chunks.append(Chunk(index, piece, offset, line))
        line += piece.count("\n") + BREAKPOINT.count("\n")
        offset += len(piece) + len(BREAKPOINT)
    return chunks


def line_col(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a character offset in ``text``."""
    offset = max(0, min(offset, len(text)))
    line = text.count("\n", 0, offset) + 1
    start = text.rfind("\n", 0, offset) + 1
    return line, offset - start + 1
