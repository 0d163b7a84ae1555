"""Compression sniffing and bounded, streaming decompression.

Compressed inputs are decompressed *streaming into a temporary file* next to the system temp dir,
not held in memory: Polars' lazy scanners need a seekable file and the checks read it more than
once, while a temp file keeps memory bounded whatever the size. The decompressed size is counted
as it is written, so a decompression bomb stops with an error at the limit instead of filling the
disk.
"""

from __future__ import annotations

import gzip
import hashlib
import zlib
from pathlib import Path
from typing import BinaryIO

import zstandard

from validations.engine.errors import EngineInputError

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
CHUNK = 4 * 2**20


def sniff_compression(path: str | Path) -> str:
    """Return ``none``, ``gzip`` or ``zstd`` from the file's magic bytes (never from its name)."""
    with open(path, "rb") as handle:
        head = handle.read(4)
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head.startswith(ZSTD_MAGIC):
        return "zstd"
    return "none"


class _HashingReader:
    """File wrapper that hashes the stored (compressed) bytes as the decompressor pulls them."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self.sha256 = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        self.sha256.update(data)
        return data

    def readable(self) -> bool:
        return True


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def decompress_to(source: str | Path, target: str | Path, *, compression: str, max_bytes: int) -> str:
    """Decompress ``source`` into ``target``; return the sha256 of the compressed bytes.

    Raises EngineInputError when the stream is corrupt or truncated, or when the output would pass
    ``max_bytes`` (a decompression bomb, or simply a file above our limit).
    """
    with open(source, "rb") as raw:
        hashing = _HashingReader(raw)
        if compression == "gzip":
            stream: BinaryIO = gzip.GzipFile(fileobj=hashing)  # type: ignore[arg-type]
        elif compression == "zstd":
            # read_across_frames: files made by concatenating zstd frames are legal and common.
            stream = zstandard.ZstdDecompressor().stream_reader(hashing, read_across_frames=True)
        else:
            raise ValueError(f"unknown compression {compression!r}")
        written = 0
        try:
            with open(target, "wb") as out:
                while chunk := stream.read(CHUNK):
                    written += len(chunk)
                    if written > max_bytes:
                        raise EngineInputError(
                            f"The {compression} file decompresses to more than {max_bytes:,} "
                            "bytes, the limit for one dataset (possibly a decompression bomb); "
                            "split the data or upload it uncompressed."
                        )
                    out.write(chunk)
        except EOFError as exc:
            raise EngineInputError(
                f"The {compression} stream is truncated after {written:,} decompressed bytes; "
                "the upload was probably cut off — upload the file again."
            ) from exc
        except (OSError, zlib.error, zstandard.ZstdError) as exc:
            raise EngineInputError(
                f"The {compression} stream is corrupt after {written:,} decompressed bytes "
                f"({exc}); re-create the compressed file and upload it again."
            ) from exc
        # The decompressor may stop before the end of the stored file (trailing bytes); hash the rest
        # so the digest is always of the whole stored file.
        while hashing.read(CHUNK):
            pass
    return hashing.sha256.hexdigest()
