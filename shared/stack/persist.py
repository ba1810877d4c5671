"""Keep the emulator's S3 objects and DynamoDB items on disk, and load them back at start.

moto keeps everything in memory. The stack process hosts moto's backends, so it can read them
directly: every `interval` seconds, if a write request came in, it
1. captures every table's items (under the lock that serialises DynamoDB requests), with the
   write-ahead log's position at that instant,
2. copies new or changed S3 objects to files (unchanged ones are skipped by ETag),
3. then writes the captured items, and records what the snapshot covers; every
   `COMPACT_EVERY_S` it fsyncs the files written since and lets the log drop what they cover.
Because a stage writes its S3 outputs before it records progress in DynamoDB, the tables on disk
never refer to objects missing from disk. Writes after the last snapshot are in the write-ahead
log (`wal.py`), replayed at start after `restore()`. SQS is not kept: at start the resume sweep
re-sends every message the job ledger (a table) says is pending.

Layout: `<data_dir>/s3/<bucket>/index.json` + `objects/<quoted key>`, `<data_dir>/dynamodb/<table>.json`
(`{"items": [...], "wal_seq": n}`), `<data_dir>/wal/` (log segments, `checkpoint.json`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import mmap
import os
import shutil
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from moto.core import DEFAULT_ACCOUNT_ID

from shared.stack.wal import WriteAheadLog

log = logging.getLogger("brandvis.stack")

COMPACT_EVERY_S = 10.0  # how often snapshots are fsynced and the write-ahead log drops what they cover


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _fsync(paths: set[Path]) -> None:
    """Make files (and the folders naming them) durable; gone ones were replaced or deleted since."""
    for path in sorted(paths) + sorted({p.parent for p in paths}):
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            continue
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _file_name(key: str) -> str:
    name = quote(key, safe="")
    return name if len(name) <= 200 else hashlib.sha256(key.encode()).hexdigest()


def _s3_backend() -> Any:
    from moto.s3.models import s3_backends

    return s3_backends[DEFAULT_ACCOUNT_ID]["aws"]


def _ddb_backend(region: str) -> Any:
    from moto.dynamodb.models import dynamodb_backends

    return dynamodb_backends[DEFAULT_ACCOUNT_ID][region]


class DirtyFlags:
    """Which services had a write since the last snapshot (set by the stack's request wrapper)."""

    def __init__(self) -> None:
        self._flags: dict[str, bool] = {}
        self._lock = threading.Lock()

    def mark(self, service: str) -> None:
        with self._lock:
            self._flags[service] = True

    def take(self, service: str) -> bool:
        with self._lock:
            return self._flags.pop(service, False)


class Snapshotter:
    def __init__(self, data_dir: Path, region: str, ddb_lock: threading.RLock, dirty: DirtyFlags,
                 wal: WriteAheadLog | None = None, compact_every_s: float = COMPACT_EVERY_S) -> None:
        self.root = data_dir
        self.region = region
        self.ddb_lock = ddb_lock
        self.dirty = dirty
        self.wal = wal
        self._s3_index: dict[str, dict[str, dict[str, Any]]] = {}
        self._lock = threading.Lock()  # one snapshot at a time
        self.snapshots = 0
        # What the files on disk cover, in log entries (read back by restore()).
        self.table_seqs: dict[str, int] = {}
        self.s3_from = 0
        self.covered = 0  # every log entry up to here is in the files: the log may drop them
        self.compact_every_s = compact_every_s
        self._written: set[Path] = set()  # files written since the last compaction (not fsynced yet)
        self._compacted_at = time.monotonic()

    @property
    def checkpoint_path(self) -> Path:
        return self.root / "wal" / "checkpoint.json"

    # -- writing -------------------------------------------------------------------------------
    def snapshot(self, force: bool = False) -> bool:
        with self._lock:
            try:
                return self._snapshot(force)
            except BaseException:
                self.dirty.mark("dynamodb")  # nothing may count as saved: the next round redoes it all
                self.dirty.mark("s3")
                raise

    def _snapshot(self, force: bool) -> bool:
        # Log positions are read before the dirty flags are taken (writes mark them under the lock
        # that numbers them): a service with no write since its last snapshot is covered up to here.
        s3_from = self.wal.s3_replay_from() if self.wal is not None else 0
        with self.ddb_lock:
            ddb_at = self.wal.last_seq if self.wal is not None else 0
        tables = self._capture_tables() if self.dirty.take("dynamodb") or force else None
        if (self.dirty.take("s3") or force) and self._sync_s3():
            s3_from = self.s3_from  # a busy object was skipped: S3 is covered no further than before
        if tables is not None:
            for name, (items, seq) in tables.items():
                self._write(self.root / "dynamodb" / f"{name}.json", items)
                self.table_seqs[name] = ddb_at = seq
        if self.wal is not None:
            if s3_from != self.s3_from:
                self._write(self.checkpoint_path, json.dumps({"s3_from": s3_from}).encode())
                self.s3_from = s3_from
            due = force or time.monotonic() - self._compacted_at >= self.compact_every_s
            if due and min(self.s3_from, ddb_at) > self.covered:
                # Files are fsynced only now, long after most were written back: the log keeps what
                # they hold until then.
                _fsync(self._written)
                self._written.clear()
                self.covered = min(self.s3_from, ddb_at)
                self.wal.compact(self.covered)
                self._compacted_at = time.monotonic()
        if tables is not None or force:
            self.snapshots += 1
        return tables is not None

    def _capture_tables(self) -> dict[str, tuple[bytes, int]]:
        backend = _ddb_backend(self.region)
        with self.ddb_lock:  # DynamoDB requests are applied and logged under it: the position is exact
            seq = self.wal.last_seq if self.wal is not None else 0
            return {name: (json.dumps({"items": [i.to_json()["Attributes"] for i in table.all_items()],
                                       "wal_seq": seq}, separators=(",", ":")).encode(), seq)
                    for name, table in backend.tables.items()}

    def _sync_s3(self) -> bool:
        """Copy changed objects; True when a bucket was too busy to list (tried again next round)."""
        backend = _s3_backend()
        skipped = False
        for bucket_name in list(backend.buckets):
            bucket = backend.buckets.get(bucket_name)
            if bucket is None:
                continue
            folder = self.root / "s3" / bucket_name
            index = self._s3_index.setdefault(bucket_name, self._read_index(folder))
            for _ in range(5):
                try:
                    current = dict(bucket.keys.items())
                    break
                except RuntimeError:  # changed while we listed it: list again
                    continue
            else:
                self.dirty.mark("s3")  # busy bucket: try again next round
                skipped = True
                continue
            changed = False
            for key, fk in current.items():
                stamp = f"{fk.etag}|{fk.last_modified.isoformat()}|{fk.size}"
                if index.get(key, {}).get("stamp") == stamp:
                    continue
                entry = {"file": _file_name(key), "stamp": stamp, "etag": fk.etag.strip('"'),
                         "metadata": {k: v for k, v in dict(fk.metadata).items() if k != "x-amz-content-sha256"}}
                target = folder / "objects" / entry["file"]
                target.parent.mkdir(parents=True, exist_ok=True)
                tmp = target.with_name(f".{target.name}.tmp")
                try:
                    with fk.lock, open(tmp, "wb") as out:
                        fk._value_buffer.seek(0)
                        shutil.copyfileobj(fk._value_buffer, out, 1 << 20)
                except ValueError:  # overwritten and disposed while we copied: next round has it
                    tmp.unlink(missing_ok=True)
                    self.dirty.mark("s3")
                    skipped = True
                    continue
                os.replace(tmp, target)
                if self.wal is not None:
                    self._written.add(target)
                index[key] = entry
                changed = True
            for key in [k for k in index if k not in current]:
                (folder / "objects" / index[key]["file"]).unlink(missing_ok=True)
                del index[key]
                changed = True
            if changed or not (folder / "index.json").exists():
                self._write(folder / "index.json", json.dumps(index).encode())
        return skipped

    def _write(self, path: Path, data: bytes) -> None:
        _atomic_write(path, data)
        if self.wal is not None:
            self._written.add(path)

    @staticmethod
    def _read_index(folder: Path) -> dict[str, dict[str, Any]]:
        try:
            return json.loads((folder / "index.json").read_text())
        except (OSError, ValueError):
            return {}

    # -- loading -------------------------------------------------------------------------------
    def restore(self) -> dict[str, int]:
        """Load objects and items into the (provisioned, still empty) emulator."""
        counts = {"objects": 0, "items": 0}
        backend = _s3_backend()
        for folder in sorted((self.root / "s3").glob("*")) if (self.root / "s3").exists() else []:
            if folder.name not in backend.buckets:
                log.warning("data folder has objects for unknown bucket %s; skipped", folder.name)
                continue
            index = self._read_index(folder)
            kept = {}
            for key, entry in index.items():
                path = folder / "objects" / entry["file"]
                if not path.exists():
                    continue
                with open(path, "rb") as f:
                    size = os.fstat(f.fileno()).st_size
                    value: Any = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
                    fk = backend.put_object(folder.name, key, value, etag=entry.get("etag"), disable_notification=True)
                    if size:
                        value.close()
                fk.set_metadata(dict(entry.get("metadata", {})), replace=True)
                entry["stamp"] = f"{fk.etag}|{fk.last_modified.isoformat()}|{fk.size}"
                kept[key] = entry
                counts["objects"] += 1
            self._s3_index[folder.name] = kept
        ddb = _ddb_backend(self.region)
        for path in sorted((self.root / "dynamodb").glob("*.json")) if (self.root / "dynamodb").exists() else []:
            table = path.stem
            if table not in ddb.tables:
                log.warning("data folder has items for unknown table %s; skipped", table)
                continue
            doc = json.loads(path.read_text())
            for item in doc["items"]:
                ddb.put_item(table, item)
                counts["items"] += 1
            self.table_seqs[table] = int(doc.get("wal_seq", 0))
        try:
            self.s3_from = int(json.loads(self.checkpoint_path.read_text())["s3_from"])
        except (OSError, ValueError, KeyError):
            self.s3_from = 0
        return counts

    @staticmethod
    def rename_upload(new_id: str, old_id: str) -> None:
        """Give a multipart upload re-created by the log's replay the id its client holds."""
        for bucket in list(_s3_backend().buckets.values()):
            upload = bucket.multiparts.pop(new_id, None)
            if upload is not None:
                upload.id = old_id
                bucket.multiparts[old_id] = upload
                return
