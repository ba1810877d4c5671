"""Job requests: what the CLI and the dashboard do to start work. Upload, record, send one message.

Nothing else starts work: a request creates the job record and sends its first stage message;
the workers do the rest.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
from fractions import Fraction
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from shared import layout
from shared.aws import Clients
from shared.dispatch import Dispatcher, QueueUrls
from shared.jobs import Job, JobStore, new_job_id, now_iso
from shared.messages import (Detecting, Message, ModelRef, ProbeMessage, Sampling, StartModelMessage, TrainMessage,
                             VideoRef)
from shared.models.backend import TRAINING_COMPLETED
from shared.models.dataset import TYPES
from shared.models.manifest import ManifestError, parse_manifest, resolve_sources, to_ground_truth_lines, validate
from shared.models.store import ModelStore, ModelVersion, model_prefix
from shared.storage import Storage

#: The lowest sampling rate an analysis accepts (one frame every 5 s).
MIN_FPS = Fraction(1, 5)
MODEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")


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

    def analyze(self, video: Path | VideoRef, sampling: Sampling, segment_seconds: float | None = None,
                model: str | None = None, model_version: int | None = None, min_confidence: float = 0.5,
                gap_s: float | None = None) -> Job:
        """Media stages only without `model`; with one, also start-model, detect and aggregate."""
        if sampling.mode == "fps" and sampling.rate < MIN_FPS:
            raise RequestError(f"--fps {float(sampling.rate):g} is too low: sample at least {float(MIN_FPS):g} "
                               "frames/s (or use --keyframes)")
        if not 0.0 <= min_confidence <= 1.0:
            raise RequestError(f"min confidence {min_confidence:g} is outside 0..1")
        gap = self.clients.config.appearance_gap_s if gap_s is None else gap_s
        if gap < 0:
            raise RequestError("the appearance gap cannot be negative")
        detect = self._detecting(model, model_version, min_confidence) if model else None
        ref = video if isinstance(video, VideoRef) else self.upload_video(video)
        seconds = segment_seconds or self.clients.config.segment_seconds
        if seconds <= 0:
            raise RequestError("segment length must be positive")
        job_id = new_job_id()
        request: dict[str, Any] = {"video": ref.model_dump(), "sampling": sampling.model_dump(),
                                   "segment_seconds": seconds}
        messages: list[Message] = [ProbeMessage.for_video(job_id, ref, sampling, seconds, detect)]
        if detect is not None:
            request.update(detect=detect.model_dump(), gap_s=gap)
            messages.append(StartModelMessage.for_model(job_id, detect.model))
        store = self.store
        job = store.create_job(job_id, "analyze", request, first_stage="probe")
        if detect is not None:
            store.set_expected(job_id, "start-model", 1)
        Dispatcher(self.clients.sqs, store, QueueUrls(self.clients.sqs, self.clients.names)).send(messages)
        return job

    def _detecting(self, name: str, version: int | None, min_confidence: float) -> Detecting:
        """The trained model version a job will use, or why it cannot."""
        models = ModelStore(self.clients.dynamodb, self.clients.names.jobs_table)
        if version is not None:
            mv = models.get(name, version)
            if mv is None:
                raise RequestError(f"model {name} has no version {version}")
            if mv.status != TRAINING_COMPLETED:
                raise RequestError(f"model {name} version {version} is not trained (status {mv.status})")
        else:
            mv = models.get(name)
            if mv is None:
                versions = models.list_versions(name, limit=1)
                if versions:
                    raise RequestError(f"model {name} has no trained version yet (newest: version "
                                       f"{versions[0].version}, {versions[0].status})")
                known = sorted({m.name for m in models.list_all()})
                raise RequestError(f"no model named {name}; models: {', '.join(known) or 'none (brandvis train)'}")
        if mv.backend == "rekognition" and self.clients.config.is_local:
            raise RequestError(f"model {name} runs on Rekognition: analyse it with BRANDVIS_MODE=aws")
        return Detecting(model=ModelRef(name=mv.name, model_version=mv.version, backend=mv.backend),
                         min_confidence=min_confidence)

    def train(self, manifest: str, name: str, kind: str | None = None, backend: str = "local") -> tuple[Job, ModelVersion]:
        """Validate the manifest and its images here (errors name the line), upload what is local,
        record a new model version and queue its training."""
        from shared.models.backends import BACKENDS

        if not MODEL_NAME.match(name):
            raise RequestError(f"model name {name!r}: use letters, digits, '-', '_' or '.' (at most 63)")
        if backend not in BACKENDS:
            raise RequestError(f"unknown backend {backend!r}; backends: {', '.join(BACKENDS)}")
        if kind is not None and kind not in TYPES:
            raise RequestError(f"unknown type {kind!r}; accepted: {', '.join(TYPES)}")
        if backend == "rekognition" and self.clients.config.is_local:
            raise RequestError("the rekognition backend runs on AWS: set BRANDVIS_MODE=aws (and credentials), "
                               "or train with --backend local")
        text, location = self._read(manifest)
        dataset = parse_manifest(text, kind=kind, name=Path(location).name)
        validate(dataset)
        refs = [self._stage_image(item, ref) for item, ref in zip(dataset.items, resolve_sources(dataset, location))]
        validate(dataset)  # again: image sizes read from the files can put boxes outside them
        job_id = new_job_id()
        models = ModelStore(self.clients.dynamodb, self.clients.names.jobs_table)
        mv = models.create_version(name, backend, dataset.type, dataset.labels, job_id, dataset.count(),
                                   lambda v: f"{model_prefix(name, v)}/manifest.jsonl")
        self.storage.put_bytes(mv.manifest_key, to_ground_truth_lines(dataset, refs).encode(), "application/jsonl")
        store = self.store
        request = {"model": name, "version": mv.version, "backend": backend, "type": dataset.type,
                   "manifest": location, "images": len(dataset.items), "labels": dataset.labels}
        job = store.create_job(job_id, "train", request, first_stage="train")
        Dispatcher(self.clients.sqs, store, QueueUrls(self.clients.sqs, self.clients.names)).send(
            [TrainMessage.for_version(job_id, name, mv.version)])
        return job, mv

    def start_model(self, name: str, version: int) -> str:
        """Start a model that runs elsewhere (Rekognition bills from here on); returns its status."""
        return self._deploy(name, version, start=True)

    def stop_model(self, name: str, version: int) -> str:
        return self._deploy(name, version, start=False)

    def _deploy(self, name: str, version: int, start: bool) -> str:
        from shared.models.backends import backend_for

        models = ModelStore(self.clients.dynamodb, self.clients.names.jobs_table)
        mv = models.get(name, version)
        if mv is None or not mv.handle or mv.status != TRAINING_COMPLETED:
            raise RequestError(f"model {name} version {version} is not a trained model")
        backend = backend_for(mv.backend, self.clients, self.storage)
        status = backend.start(mv.handle, self.clients.config.min_inference_units) if start else backend.stop(mv.handle)
        models.update(name, version, deployment=status, last_used=now_iso(),
                      **({} if start else {"stopped_at": now_iso(), "stop_reason": "stopped by hand"}))
        return status

    def _read(self, manifest: str) -> tuple[str, str]:
        if manifest.startswith("s3://"):
            bucket, _, key = manifest[5:].partition("/")
            try:
                body = self.clients.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
            except Exception as exc:
                raise RequestError(f"cannot read {manifest}: {exc}") from exc
            return body.decode("utf-8-sig"), manifest
        path = Path(manifest)
        if not path.is_file():
            raise RequestError(f"no such file: {manifest}")
        return path.read_text(encoding="utf-8-sig"), str(path.resolve())

    def _stage_image(self, item: Any, ref: str) -> str:
        """The image as an s3:// URI in the data bucket (uploaded once per content); sizes filled in."""
        where = f"line {item.line}" if item.line else "image"
        if ref.startswith("s3://"):
            bucket, _, key = ref[5:].partition("/")
            try:
                self.clients.s3.head_object(Bucket=bucket, Key=key)
            except Exception:
                raise ManifestError(f"{where}: image not found: {ref}") from None
            if item.width is None:
                raise ManifestError(f"{where}: {ref} has no image size in the manifest")
            return ref
        path = Path(ref)
        if not path.is_file():
            raise ManifestError(f"{where}: image not found: {ref}")
        import cv2

        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            raise ManifestError(f"{where}: not an image: {ref}")
        item.height, item.width = image.shape[:2]
        with path.open("rb") as f:
            key = f"datasets/{_content_id(f)}/{_safe_name(path.name)}"
        if self.storage.head(key) is None:
            self.storage.upload_file(path, key, mimetypes.guess_type(path.name)[0] or "image/jpeg")
        return self.storage.uri(key)


def _content_id(f: BinaryIO) -> str:
    digest = hashlib.sha256()
    for block in iter(lambda: f.read(1 << 20), b""):
        digest.update(block)
    return digest.hexdigest()[:16]


def _safe_name(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "video"
    return cleaned[:120]
