"""Source videos downloaded once per machine and shared by every segment that needs them.

A segment reads a few seconds of a long video, but decoders want a seekable local file; fetching
the whole object once per worker host (not once per segment) keeps S3 traffic at one copy.
The cache is bounded: least recently used files go first.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import threading
from pathlib import Path

from shared.storage import Storage


class MediaCache:
    def __init__(self, storage: Storage, root: Path, max_bytes: int) -> None:
        self.storage = storage
        self.root = root
        self.max_bytes = max_bytes
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def _lock(self, key: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def local_path(self, key: str) -> Path:
        """The object as a local file, downloading it if this machine has no copy yet."""
        digest = hashlib.sha256(f"{self.storage.bucket}/{key}".encode()).hexdigest()[:24]
        path = self.root / "media" / f"{digest}{Path(key).suffix}"
        with self._lock(key):
            if path.exists():
                os.utime(path)
                return path
            path.parent.mkdir(parents=True, exist_ok=True)
            # Another worker process on this host may be fetching the same file: wait for it.
            with open(path.with_suffix(path.suffix + ".lock"), "w") as lock_file:
                fcntl.flock(lock_file, fcntl.LOCK_EX)
                if not path.exists():
                    self.storage.download_file(key, path)
                    self._evict(keep=path)
        return path

    def _evict(self, keep: Path) -> None:
        files = [p for p in (self.root / "media").iterdir() if p.is_file() and not p.name.endswith(".lock")]
        total = sum(p.stat().st_size for p in files)
        for p in sorted(files, key=lambda p: p.stat().st_atime):
            if total <= self.max_bytes:
                break
            if p != keep:
                total -= p.stat().st_size
                p.unlink(missing_ok=True)
