"""Job requests: what the CLI and the dashboard do to start work. Upload, record, send one message.

Nothing else starts work: a request creates the job record and sends its first stage message;
the workers do the rest.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from shared import layout
from shared.aws import Clients
from shared.dispatch import Dispatcher, QueueUrls
from shared.jobs import Job, JobStore, new_job_id
from shared.messages import ProbeMessage, Sampling, VideoRef
from shared.storage import Storage


class RequestError(ValueError):
    """The request itself is invalid (missing file, bad fps); nothing was started."""


@dataclass
class Requests:
    clients: Clients

    @property
    def store(self) -> JobStore:
        return JobStore(self.clients.dynamodb, self.clients.names.jobs_table)

    @property
    def storage(self) -> Storage:
        return Storage(self.clients.s3, self.clients.names.bucket)

    def upload_video(self, path: Path) -> VideoRef:
        """Upload once per content: the S3 key carries the file's hash, so re-uploads are skipped."""
        if not path.is_file():
            raise RequestError(f"no such file: {path}")
        with path.open("rb") as f:
            video_id = _content_id(f)
        name = _safe_name(path.name)
        key = layout.source_key(video_id, name)
        if self.storage.head(key) is None:
            self.storage.upload_file(path, key, mimetypes.guess_type(name)[0] or "application/octet-stream")
        return VideoRef(video_id=video_id, key=key, name=path.name)

    def analyze(self, video: Path | VideoRef, sampling: Sampling, segment_seconds: float | None = None) -> Job:
        ref = video if isinstance(video, VideoRef) else self.upload_video(video)
        seconds = segment_seconds or self.clients.config.segment_seconds
        if seconds <= 0:
            raise RequestError("segment length must be positive")
        job_id = new_job_id()
        request = {"video": ref.model_dump(), "sampling": sampling.model_dump(), "segment_seconds": seconds}
        store = self.store
        job = store.create_job(job_id, "analyze", request, first_stage="probe")
        Dispatcher(self.clients.sqs, store, QueueUrls(self.clients.sqs, self.clients.names)).send(
            [ProbeMessage.for_video(job_id, ref, sampling, seconds)])
        return job


def _content_id(f: BinaryIO) -> str:
    digest = hashlib.sha256()
    for block in iter(lambda: f.read(1 << 20), b""):
        digest.update(block)
    return digest.hexdigest()[:16]


def _safe_name(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "video"
    return cleaned[:120]
