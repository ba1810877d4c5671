"""Putting the user's files in the bucket once per content: the key carries a hash of the bytes,
so uploading the same file again (another job, another name) sends nothing.

The dashboard's videos go straight from the browser to the bucket (`presign_post`, then `adopt`):
Streamlit's own uploader holds a whole file in the dashboard's memory, this holds none of it.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Callable

from shared.storage import Storage

#: (content id, safe file name) -> the key to store the file at (shared/layout.py has them).
KeyFor = Callable[[str, str], str]


#: Where browsers put files before `adopt` moves them to their content key (never read by a stage).
INCOMING = "uploads/incoming/"
#: The largest object one S3 POST may create; bigger files need multipart (not offered by the dashboard).
POST_MAX_BYTES = 5 * 1024 ** 3


class UploadRefused(ValueError):
    """A browser's upload cannot be used (too large, never arrived); the message is for the analyst."""


def _content_id(blocks: Iterable[bytes]) -> str:
    digest = hashlib.sha256()
    for block in blocks:
        digest.update(block)
    return digest.hexdigest()[:16]


def content_id(f: BinaryIO) -> str:
    """First 16 hex digits of the SHA-256 of the stream's bytes; the stream is left at its start."""
    cid = _content_id(iter(lambda: f.read(1 << 20), b""))
    f.seek(0)
    return cid


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


@dataclass(frozen=True)
class DirectUpload:
    """What a browser needs to POST one file to the bucket itself (S3's presigned POST)."""

    url: str
    fields: dict[str, str]
    key: str  # where the file lands, under INCOMING
    max_bytes: int

    def to_dict(self) -> dict[str, Any]:
        return {"url": self.url, "fields": self.fields, "key": self.key, "max_bytes": self.max_bytes}


def presign_post(storage: Storage, name: str, max_bytes: int, expires_s: int = 3600) -> DirectUpload:
    """A presigned POST for one file of at most `max_bytes` (S3 refuses a larger body: the policy's
    content-length-range) to a fresh key under INCOMING."""
    if not 0 < max_bytes <= POST_MAX_BYTES:
        raise UploadRefused(f"an upload limit of {max_bytes / 1024 ** 2:,.0f} MB cannot be sent in one POST "
                            f"(S3 takes up to {POST_MAX_BYTES // 1024 ** 2:,} MB)")
    key = f"{INCOMING}{uuid.uuid4().hex}/{safe_name(name)}"
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    post = storage.s3.generate_presigned_post(
        Bucket=storage.bucket, Key=key, Fields={"Content-Type": content_type},
        Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, max_bytes]], ExpiresIn=expires_s)
    return DirectUpload(post["url"], post["fields"], key, max_bytes)


def adopt(storage: Storage, upload: DirectUpload, name: str, key_for: KeyFor) -> tuple[str, str]:
    """(content id, key) of the file a browser POSTed for `upload`: refused past its `max_bytes` (S3
    enforces the policy; the local emulator does not, so it is checked here too), hashed as it streams
    from the bucket (never whole in memory), and moved to its content key with a server-side copy."""
    head = storage.head(upload.key)
    if head is None:
        raise UploadRefused(f"{name} did not arrive in the bucket; upload it again")
    try:
        size = int(head["ContentLength"])
        if size > upload.max_bytes:
            raise UploadRefused(f"{name} is {size / 1024 ** 2:,.1f} MB; the dashboard takes up to "
                                f"{upload.max_bytes / 1024 ** 2:,.0f} MB a file (BRANDVIS_UPLOAD_MAX_MB)")
        body = storage.s3.get_object(Bucket=storage.bucket, Key=upload.key)["Body"]
        cid = _content_id(body.iter_chunks(1 << 20))
        key = key_for(cid, safe_name(name))
        if storage.head(key) is None:  # managed copy: multipart past 5 GB, nothing through this machine
            storage.s3.copy({"Bucket": storage.bucket, "Key": upload.key}, storage.bucket, key)
    finally:
        storage.s3.delete_object(Bucket=storage.bucket, Key=upload.key)
    return cid, key
