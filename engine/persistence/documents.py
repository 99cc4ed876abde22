"""The document store: uploaded files on disk, outside the database, named by their sha256
so identical uploads share one file and a file's name proves its content."""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import BinaryIO

from engine.errors import DocumentTooLarge

CHUNK = 1024 * 1024


class DocumentStore:
    def __init__(self, root: Path):
        self.root = Path(root)

    def path_for(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def save(self, stream: BinaryIO, max_bytes: int) -> tuple[str, int]:
        """Store the stream; return (sha256, size). Refuses more than max_bytes and leaves
        nothing behind when it does."""
        self.root.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if size > max_bytes:
                        raise DocumentTooLarge(
                            f"the document is larger than the limit of {max_bytes} bytes",
                            limit=max_bytes)
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            sha = digest.hexdigest()
            target = self.path_for(sha)
            target.parent.mkdir(exist_ok=True)
            os.replace(tmp, target)
            return sha, size
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
