"""Write-ahead log of the local stack's S3 and DynamoDB writes: a kill -9 loses nothing acknowledged.

Snapshots (`persist.py`) copy moto's state to disk every interval; in between, state lives only in
moto's memory. So the stack's request wrapper (`server.StackApp`) appends every successful
state-changing S3 or DynamoDB request (method, path, query, headers, body) here and answers the
client only once the entry is on disk (fsync). Requests that arrive together share one fsync
(group commit): the first to wait writes out everything queued and fsyncs once, the others wait
for it, and the next of them takes what queued meanwhile (no writer thread to hand off to). Reads also wait until what they saw is on disk, so no client sees a write that a
crash could take back.

Order: a request is applied and numbered in one step (DynamoDB under the lock that serialises it,
S3 writes under a lock of their own), so the log's order is the order moto applied them. Failed
requests (4xx/5xx) changed nothing and are not logged; nor is provisioning, re-done at every start.

What a snapshot covers, and what is replayed after it (at start, after `restore()`):
- DynamoDB: each table file records the sequence number read under the same lock as the table's
  capture, so exactly the entries after it are replayed (UpdateItem ADD is not idempotent);
- S3: `wal/checkpoint.json` records a number read *before* objects are copied (some copied objects
  may be newer: replaying puts, deletes and completed uploads again, in order, ends in the same
  state), moved back to the start of any multipart upload still open, whose parts live only here.
  Replayed uploads keep their ids, so a client mid-upload can go on after a restart. A CopyObject
  whose source was overwritten after it is not exact on replay (brandvis copies immutable keys).
Every `persist.COMPACT_EVERY_S` the snapshot's files are fsynced, a new segment file is started, and
segments wholly covered by them are deleted.

Files: `wal/<first seq>.log`; a record is length + crc32 + (JSON header line, body). A torn last
record (a crash mid-write; never acknowledged) ends its segment's replay.
"""

from __future__ import annotations

import io
import itertools
import json
import logging
import os
import re
import struct
import threading
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator
from urllib.parse import parse_qs

log = logging.getLogger("brandvis.stack")

_RECORD = struct.Struct("<II")  # payload length, crc32 of payload
_UPLOAD_ID = re.compile(rb"<UploadId>([^<]+)</UploadId>")
_KEPT_ENVIRON = ("REQUEST_METHOD", "PATH_INFO", "QUERY_STRING", "RAW_URI", "REQUEST_URI", "CONTENT_TYPE",
                 "SERVER_NAME", "SERVER_PORT", "SERVER_PROTOCOL", "SCRIPT_NAME")
_DROPPED_HEADERS = ("HTTP_TRANSFER_ENCODING", "HTTP_CONNECTION", "HTTP_KEEP_ALIVE")
OPEN_UPLOAD_HOLD_S = 3600.0  # a multipart upload left open longer stops holding old log segments


class WalError(RuntimeError):
    """The log cannot be written: the request was not made durable."""


@dataclass(frozen=True)
class Entry:
    seq: int
    service: str
    environ: dict[str, str]
    body: bytes
    upload_id: str | None = None  # CreateMultipartUpload: the id the client was given

    def tables(self) -> set[str]:
        """DynamoDB tables the request writes to (from its JSON body)."""
        try:
            doc = json.loads(self.body or b"{}")
        except ValueError:
            return set()
        names = {doc["TableName"]} if isinstance(doc.get("TableName"), str) else set()
        names.update(doc.get("RequestItems") or {})
        for item in doc.get("TransactItems") or []:
            names.update(v["TableName"] for v in item.values() if isinstance(v, dict) and "TableName" in v)
        return names


def read_body(environ: dict[str, Any]) -> bytes:
    """Read the request body once and put it back, so both moto and the log can have it."""
    stream = environ.get("wsgi.input")
    length = environ.get("CONTENT_LENGTH") or ""
    if stream is None:
        body = b""
    elif length.isdigit():
        chunks, left = [], int(length)
        while left > 0:
            chunk = stream.read(min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        body = b"".join(chunks)
    elif environ.get("wsgi.input_terminated"):
        body = stream.read()
    else:
        body = b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return body


def _s3_upload_change(environ: dict[str, str], response: bytes) -> tuple[str, str | None]:
    """('open', id) for CreateMultipartUpload, ('close', id) for complete/abort, else ('', None)."""
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    method = environ.get("REQUEST_METHOD")
    if method == "POST" and "uploads" in query:
        match = _UPLOAD_ID.search(response)
        return ("open", match.group(1).decode()) if match else ("", None)
    if method in ("POST", "DELETE") and "uploadId" in query:
        return "close", query["uploadId"][0]
    return "", None


class WriteAheadLog:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._cond = threading.Condition()
        self._pending: list[bytes] = []
        self.last_seq = 0  # numbered (applied)
        self.durable_seq = 0  # on disk
        self._fd: int | None = None
        self._rotate = False
        self._flushing = False  # a request is writing the queue out
        self._error: OSError | None = None
        self._open_uploads: dict[str, tuple[int, float]] = {}  # upload id -> (create seq, when)
        self.fsyncs = 0
        self.appended = 0  # entries this process logged

    # -- appending -----------------------------------------------------------------------------
    def open(self, last_seq: int, open_uploads: dict[str, int] | None = None) -> WriteAheadLog:
        """Start appending after `last_seq` (the newest entry replayed), in a new segment."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self.last_seq = self.durable_seq = last_seq
        self._open_uploads = {k: (v, time.time()) for k, v in (open_uploads or {}).items()}
        self._fd = self._new_segment(last_seq + 1)
        return self

    def append(self, service: str, environ: dict[str, Any], body: bytes, response: bytes = b"") -> int:
        """Number the request and queue it for the writer; call it where the request was applied."""
        kept = {k: v for k, v in environ.items() if isinstance(v, str)
                and (k in _KEPT_ENVIRON or (k.startswith("HTTP_") and k not in _DROPPED_HEADERS))}
        change, upload_id = _s3_upload_change(kept, response) if service == "s3" else ("", None)
        with self._cond:
            self.last_seq += 1
            self.appended += 1
            seq = self.last_seq
            header = {"seq": seq, "service": service, "environ": kept}
            if change == "open":
                header["upload_id"] = upload_id
                self._open_uploads[upload_id] = (seq, time.time())  # type: ignore[index]
            elif change == "close":
                self._open_uploads.pop(upload_id, None)  # type: ignore[arg-type]
            payload = json.dumps(header, separators=(",", ":")).encode() + b"\n" + body
            self._pending.append(_RECORD.pack(len(payload), zlib.crc32(payload)) + payload)
        return seq

    def wait_durable(self, seq: int, timeout: float = 60.0) -> None:
        """Return once entry `seq` (and every one before it) is on disk. The first request to wait
        writes and fsyncs everything queued (itself and any others); the ones arriving meanwhile
        wait for it, and the next of them does the same for all that queued during that fsync."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self.durable_seq < seq:
                if self._error is not None:
                    raise WalError(f"the write-ahead log cannot be written: {self._error}")
                if not self._flushing:
                    self._flush()
                elif not self._cond.wait(max(0.0, deadline - time.monotonic())):
                    raise WalError(f"the write-ahead log did not reach disk within {timeout:.0f} s")

    def _flush(self) -> None:
        """Write and fsync what is queued; called holding the lock, which it lets go meanwhile."""
        batch, self._pending = self._pending, []
        top, rotate, self._rotate = self.last_seq, self._rotate, False
        first = self.durable_seq + 1
        self._flushing = True
        self._cond.release()
        try:
            if rotate:
                old, self._fd = self._fd, self._new_segment(first)
                if old is not None:
                    os.close(old)
            assert self._fd is not None
            data = memoryview(b"".join(batch))
            while data:
                data = data[os.write(self._fd, data):]
            os.fdatasync(self._fd)
        except OSError as exc:
            log.exception("event=wal-write-failed")
            error: OSError | None = exc
        else:
            error = None
        finally:
            self._cond.acquire()
            self._flushing = False
            self._cond.notify_all()
        if error is not None:
            self._error = error
            return
        self.durable_seq = top
        self.fsyncs += 1

    def _new_segment(self, first_seq: int) -> int:
        fd = os.open(self.folder / f"{first_seq:020d}.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        dir_fd = os.open(self.folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)  # the new file's name is durable too
        finally:
            os.close(dir_fd)
        return fd

    def close(self) -> None:
        try:
            self.wait_durable(self.last_seq)
        except WalError:
            log.exception("event=wal-close-failed")
        with self._cond:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
        log.info("event=wal-closed entries=%d fsyncs=%d entries_per_fsync=%.2f", self.appended, self.fsyncs,
                 self.appended / max(self.fsyncs, 1))

    # -- snapshots and compaction --------------------------------------------------------------
    def s3_replay_from(self) -> int:
        """Where an S3 snapshot starting now would have to replay from: every entry up to here is
        applied already, except the uploads still open (their parts are only in the log)."""
        with self._cond:
            now = time.time()
            held = [seq for seq, at in self._open_uploads.values() if now - at < OPEN_UPLOAD_HOLD_S]
            return min([self.last_seq, *(seq - 1 for seq in held)])

    def compact(self, covered: int) -> int:
        """Drop segments whose every entry is at or before `covered`; start a new segment. Returns
        how many segment files were deleted."""
        with self._cond:
            self._rotate = True
        segments = segment_files(self.folder)
        deleted = 0
        for path, following in itertools.pairwise(segments):
            if _first_seq(following) - 1 <= covered:
                path.unlink(missing_ok=True)
                deleted += 1
        return deleted


def _first_seq(path: Path) -> int:
    return int(path.stem)


def segment_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.log"), key=_first_seq) if folder.exists() else []


def read_entries(folder: Path) -> Iterator[Entry]:
    """Every intact entry of every segment, oldest first."""
    for path in segment_files(folder):
        with open(path, "rb") as f:
            while True:
                head = f.read(_RECORD.size)
                if len(head) < _RECORD.size:
                    break
                length, crc = _RECORD.unpack(head)
                payload = f.read(length)
                if len(payload) < length or zlib.crc32(payload) != crc:
                    log.warning("event=wal-torn-record segment=%s: the rest of it was never acknowledged", path.name)
                    break
                line, _, body = payload.partition(b"\n")
                header = json.loads(line)
                yield Entry(header["seq"], header["service"], header["environ"], body, header.get("upload_id"))


@dataclass
class Replayed:
    entries: int = 0
    last_seq: int = 0
    open_uploads: dict[str, int] | None = None


def replay(folder: Path, app: Callable[..., Iterable[bytes]], table_seqs: dict[str, int], s3_from: int,
           rename_upload: Callable[[str, str], None]) -> Replayed:
    """Apply, in order, the entries a snapshot does not cover, straight into moto's app.

    `table_seqs`: per table, the last entry its snapshot file holds; `s3_from`: S3 entries after it
    are replayed. `rename_upload(new_id, old_id)` gives a re-created multipart upload its
    original id back."""
    done = Replayed(open_uploads={})
    assert done.open_uploads is not None
    for entry in read_entries(folder):
        done.last_seq = max(done.last_seq, entry.seq)
        if entry.service == "dynamodb":
            covered = [entry.seq <= table_seqs.get(t, 0) for t in entry.tables()]
            if covered and all(covered):
                continue
            if any(covered):
                log.warning("event=wal-replay seq=%d spans tables snapshotted at different points; replayed",
                            entry.seq)
        elif entry.seq <= s3_from:
            continue
        status, response = _call(app, entry)
        if not status.startswith(("2", "3")):
            log.warning("event=wal-replay seq=%d %s %s answered %s", entry.seq, entry.environ.get("REQUEST_METHOD"),
                        entry.environ.get("PATH_INFO"), status)
        done.entries += 1
        if entry.service != "s3":
            continue
        change, upload_id = _s3_upload_change(entry.environ, response)
        if change == "open" and upload_id and entry.upload_id:
            rename_upload(upload_id, entry.upload_id)
            done.open_uploads[entry.upload_id] = entry.seq
        elif change == "close" and upload_id:
            done.open_uploads.pop(upload_id, None)
    return done


def _call(app: Callable[..., Iterable[bytes]], entry: Entry) -> tuple[str, bytes]:
    environ: dict[str, Any] = dict(entry.environ)
    environ.update({"wsgi.input": io.BytesIO(entry.body), "CONTENT_LENGTH": str(len(entry.body)),
                    "wsgi.errors": io.StringIO(), "wsgi.url_scheme": "http", "wsgi.version": (1, 0),
                    "wsgi.multithread": True, "wsgi.multiprocess": False, "wsgi.run_once": False})
    environ.setdefault("SCRIPT_NAME", "")
    status: list[str] = []

    def start_response(s: str, headers: Any, exc_info: Any = None) -> Callable[[bytes], None]:
        status.append(s)
        return lambda _data: None

    result = app(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close:
            close()
    return (status[0] if status else "500"), body
