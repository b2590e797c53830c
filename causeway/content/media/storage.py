"""Content-addressed blob storage: a blob's name is the SHA-256 of its bytes.

The same bytes are stored once, whoever uploads them. :class:`Storage` is the narrow
interface the pipeline needs (thumbor's ``BaseStorage``: put / path / exists / remove);
:class:`LocalStorage` keeps blobs under ``<root>/blobs/ab/cd/<sha256>``. An S3-compatible
store would implement the same four methods.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

CHUNK = 1 << 20


class TooLarge(Exception):
    """The upload is larger than allowed."""

    def __init__(self, limit: int) -> None:
        size = f"{limit / (1024 * 1024):g} MiB" if limit >= 1024 * 1024 else f"{limit:,} bytes"
        super().__init__(f"the file is larger than the {size} allowed")
        self.limit = limit


class Storage(ABC):
    @abstractmethod
    def put_file(self, path: Path, sha256: str) -> bool:
        """Move ``path`` (whose digest is ``sha256``) into storage; False if it was already there."""

    @abstractmethod
    def put_bytes(self, data: bytes) -> tuple[str, bool]:
        """Store ``data``; returns (sha256, newly created)."""

    @abstractmethod
    def path(self, sha256: str) -> Path:
        """A local path to read the blob from."""

    @abstractmethod
    def exists(self, sha256: str) -> bool: ...

    @abstractmethod
    def remove(self, sha256: str) -> None: ...


class LocalStorage(Storage):
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.blobs = self.root / "blobs"
        self.tmp = self.root / "tmp"

    def path(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        return self.blobs / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def put_file(self, path: Path, sha256: str) -> bool:
        dest = self.path(sha256)
        if dest.is_file():
            path.unlink(missing_ok=True)
            return False
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, dest)  # atomic within one file system: readers never see half a blob
        return True

    def put_bytes(self, data: bytes) -> tuple[str, bool]:
        sha = hashlib.sha256(data).hexdigest()
        if self.exists(sha):
            return sha, False
        with self.temporary() as tmp:
            tmp.write_bytes(data)
            return sha, self.put_file(tmp, sha)

    def remove(self, sha256: str) -> None:
        self.path(sha256).unlink(missing_ok=True)

    @contextmanager
    def temporary(self, suffix: str = "") -> Iterator[Path]:
        """A temporary file on the same file system as the blobs, removed unless moved away."""
        self.tmp.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=self.tmp, suffix=suffix)
        os.close(fd)
        path = Path(name)
        try:
            yield path
        finally:
            path.unlink(missing_ok=True)

    @staticmethod
    def digest(path: Path) -> tuple[str, int]:
        """(SHA-256, size) of the file at ``path``."""
        digest = hashlib.sha256()
        size = 0
        with path.open("rb") as f:
            while chunk := f.read(CHUNK):
                size += len(chunk)
                digest.update(chunk)
        return digest.hexdigest(), size

    def receive(self, stream: BinaryIO, dest: Path, limit: int) -> tuple[str, int]:
        """Copy ``stream`` to ``dest`` hashing as it goes; :class:`TooLarge` past ``limit`` bytes."""
        digest = hashlib.sha256()
        size = 0
        with dest.open("wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise TooLarge(limit)
                digest.update(chunk)
                out.write(chunk)
        return digest.hexdigest(), size
