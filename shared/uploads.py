"""Putting the user's files in the bucket once per content: the key carries a hash of the bytes,
so uploading the same file again (another job, another name) sends nothing."""

from __future__ import annotations

import hashlib
import mimetypes
import re
from pathlib import Path
from typing import BinaryIO, Callable

from shared.storage import Storage

#: (content id, safe file name) -> the key to store the file at (shared/layout.py has them).
KeyFor = Callable[[str, str], str]


def content_id(f: BinaryIO) -> str:
    """First 16 hex digits of the SHA-256 of the stream's bytes; the stream is left at its start."""
    digest = hashlib.sha256()
    for block in iter(lambda: f.read(1 << 20), b""):
        digest.update(block)
    f.seek(0)
    return digest.hexdigest()[:16]


def safe_name(name: str, default: str = "file") -> str:
    """A file name that is safe in an S3 key and a local path: no separators, no dot-dot."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(name.replace("\\", "/")).name).strip("._") or default
    return cleaned[:120]


def upload_stream(storage: Storage, stream: BinaryIO, name: str, key_for: KeyFor) -> tuple[str, str]:
    """(content id, key): the stream stored at `key_for(content id, safe name)` unless already there."""
    cid = content_id(stream)
    key = key_for(cid, safe_name(name))
    if storage.head(key) is None:
        storage.s3.upload_fileobj(stream, storage.bucket, key,
                                  ExtraArgs={"ContentType": mimetypes.guess_type(name)[0] or "application/octet-stream"})
    return cid, key


def upload_path(storage: Storage, path: Path, key_for: KeyFor) -> tuple[str, str]:
    with path.open("rb") as f:
        return upload_stream(storage, f, path.name, key_for)
