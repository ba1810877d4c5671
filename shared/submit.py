"""Job requests: everything the CLI and the dashboard may ask for. Upload, record, send one message.

Nothing else starts work: a request checks what it can without doing the work (the file exists,
the model is trained, the manifest parses), uploads the user's files by content, creates the job
record and sends its first message; the workers do the rest, and report back on the job. That
includes starting and stopping models and redriving dead letters: the UIs never do those
themselves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, BinaryIO

from shared import layout
from shared.aws import Clients
from shared.dispatch import Dispatcher, QueueUrls
from shared.jobs import Job, JobStore, new_job_id
from shared.ledger import MessageLedger
from shared.messages import (MIN_FPS, CollectMessage, Detecting, Message, ModelRef, ProbeMessage, RedriveMessage,
                             Sampling, StartModelMessage, StopModelMessage, VideoRef)
from shared.models.backend import BACKENDS, TRAINING_COMPLETED
from shared.models.dataset import TYPES
from shared.models.manifest import ManifestError, line_of, parse_manifest, problems, refuse, resolve_sources
from shared.models.store import ModelStore, ModelVersion, model_prefix
from shared.names import STAGES
from shared.storage import Storage
from shared.uploads import safe_name, upload_path, upload_stream

MODEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")


class RequestError(ValueError):
    """The request itself is invalid (missing file, bad fps); nothing was started."""


@dataclass
class Submitter:
    clients: Clients

    @property
    def jobs(self) -> JobStore:
        return JobStore(self.clients.dynamodb, self.clients.names.jobs_table)

    @property
    def models(self) -> ModelStore:
        return ModelStore(self.clients.dynamodb, self.clients.names.jobs_table)

    @property
    def storage(self) -> Storage:
        return Storage(self.clients.s3, self.clients.names.bucket)

    def _start(self, kind: str, request: dict[str, Any], messages: list[Message],
               expect: dict[str, int] | None = None) -> Job:
        """Create the job, then send its first messages (recorded in its ledger first)."""
        job_id = messages[0].job_id
        jobs = self.jobs
        job = jobs.create_job(job_id, kind, request, first_stage=messages[0].stage)
        if expect:
            from shared.counters import StageCounters

            counters = StageCounters(self.clients.dynamodb, self.clients.names.jobs_table)
            for stage, n in expect.items():
                counters.set_expected(job_id, stage, n)
        ledger = MessageLedger(self.clients.dynamodb, self.clients.names.jobs_table)
        Dispatcher(self.clients.sqs, ledger, QueueUrls(self.clients.sqs, self.clients.names)).send(messages)
        return job

    # -- analysis ----------------------------------------------------------------------------
    def upload_video(self, path: Path) -> VideoRef:
        """Upload once per content: the S3 key carries the file's hash, so re-uploads are skipped."""
        if not path.is_file():
            raise RequestError(f"no such file: {path}")
        video_id, key = upload_path(self.storage, path, layout.source_key)
        return VideoRef(video_id=video_id, key=key, name=path.name)

    def upload_video_stream(self, stream: BinaryIO, name: str) -> VideoRef:
        """The same for a file the dashboard received: streamed to S3, never written locally."""
        video_id, key = upload_stream(self.storage, stream, safe_name(name, "video"), layout.source_key)
        return VideoRef(video_id=video_id, key=key, name=name)

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
        seconds = segment_seconds or self.clients.config.segment_seconds
        if seconds <= 0:
            raise RequestError("segment length must be positive")
        ref = video if isinstance(video, VideoRef) else self.upload_video(video)
        job_id = new_job_id()
        request: dict[str, Any] = {"video": ref.model_dump(), "sampling": sampling.model_dump(),
                                   "segment_seconds": seconds}
        messages: list[Message] = [ProbeMessage.for_video(job_id, ref, sampling, seconds, detect)]
        if detect is not None:
            request.update(detect=detect.model_dump(), gap_s=gap)
            messages.append(StartModelMessage.for_model(job_id, detect.model))
        return self._start("analyze", request, messages, expect={"start-model": 1} if detect else None)

    def _detecting(self, name: str, version: int | None, min_confidence: float) -> Detecting:
        """The trained model version a job will use, or why it cannot."""
        models = self.models
        if version is not None:
            mv = models.get_version(name, version)
            if mv is None:
                raise RequestError(f"model {name} has no version {version}")
            if mv.status != TRAINING_COMPLETED:
                raise RequestError(f"model {name} version {version} is not trained (status {mv.status})")
        else:
            mv = models.get_version(name)
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

    # -- training ----------------------------------------------------------------------------
    def train(self, manifest: str, name: str, kind: str | None = None, backend: str = "local") -> tuple[Job, ModelVersion]:
        """From a manifest on this machine (its local images are uploaded) or in S3."""
        self._check_training(name, kind, backend)
        if manifest.startswith("s3://"):
            bucket, _, key = manifest[5:].partition("/")
            try:
                body = self.clients.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
            except Exception as exc:
                raise RequestError(f"cannot read {manifest}: {exc}") from exc
            text, location = body.decode("utf-8-sig"), manifest
        else:
            path = Path(manifest)
            if not path.is_file():
                raise RequestError(f"no such file: {manifest}")
            text, location = path.read_text(encoding="utf-8-sig"), str(path.resolve())
        dataset = parse_manifest(text, kind=kind, name=Path(location).name)
        found = problems(dataset)
        images: dict[str, str] = {}
        for item, ref in zip(dataset.items, resolve_sources(dataset, location)):
            if item.source_ref in images:
                continue
            if ref.startswith("s3://"):
                images[item.source_ref] = ref
            elif Path(ref).is_file():
                images[item.source_ref] = self.storage.uri(upload_path(self.storage, Path(ref), layout.dataset_file_key)[1])
            else:
                found.append(f"{line_of(dataset, item)}: image not found: {ref}")
        refuse(found)
        manifest_key = self._upload_manifest(text.encode(), Path(location).name)
        return self._queue_training(name, backend, dataset.type, dataset.labels, dataset.count(), manifest_key,
                                    images, {"manifest": location, "images": len(dataset.items)})

    def train_uploaded(self, manifest: BinaryIO, manifest_name: str, images: list[tuple[str, BinaryIO]],
                       name: str, kind: str | None = None, backend: str = "local") -> tuple[Job, ModelVersion]:
        """From files the dashboard received: the manifest may name only the images sent with it
        (matched by file name) or objects in S3; nothing on the server's own disk."""
        self._check_training(name, kind, backend)
        data = manifest.read()
        dataset = parse_manifest(data.decode("utf-8-sig"), kind=kind, name=manifest_name)
        refuse(problems(dataset))
        keys = {safe_name(n): self.storage.uri(upload_stream(self.storage, stream, n, layout.dataset_file_key)[1])
                for n, stream in images}
        by_name = {item.source_ref: keys[safe_name(item.source_ref)] for item in dataset.items
                   if not item.source_ref.startswith("s3://") and safe_name(item.source_ref) in keys}
        missing = [f"{line_of(dataset, item)}: image not found: {item.source_ref} (not uploaded with the manifest)"
                   for item in dataset.items if not item.source_ref.startswith("s3://") and item.source_ref not in by_name]
        refuse(missing)
        manifest_key = self._upload_manifest(data, manifest_name)
        return self._queue_training(name, backend, dataset.type, dataset.labels, dataset.count(), manifest_key,
                                    by_name, {"manifest": manifest_name, "images": len(dataset.items)})

    def _check_training(self, name: str, kind: str | None, backend: str) -> None:
        if not MODEL_NAME.match(name):
            raise RequestError(f"model name {name!r}: use letters, digits, '-', '_' or '.' (at most 63)")
        if backend not in BACKENDS:
            raise RequestError(f"unknown backend {backend!r}; backends: {', '.join(BACKENDS)}")
        if kind is not None and kind not in TYPES:
            raise RequestError(f"unknown type {kind!r}; accepted: {', '.join(TYPES)}")
        if backend == "rekognition" and self.clients.config.is_local:
            raise RequestError("the rekognition backend runs on AWS: set BRANDVIS_MODE=aws (and credentials), "
                               "or train with --backend local")

    def _upload_manifest(self, data: bytes, name: str) -> str:
        import io

        return upload_stream(self.storage, io.BytesIO(data), name, layout.dataset_file_key)[1]

    def _queue_training(self, name: str, backend: str, kind: str, labels: list[str], counts: dict[str, int],
                        manifest_key: str, images: dict[str, str], about: dict[str, Any]) -> tuple[Job, ModelVersion]:
        job_id = new_job_id()
        mv = self.models.create_version(name, backend, kind, labels, job_id, counts,
                                        lambda v: f"{model_prefix(name, v)}/manifest.jsonl")
        images_key = f"{mv.prefix}/images.json"
        self.storage.put_json(images_key, images)  # thousands of names would not fit in a message
        request = {"model": name, "version": mv.version, "backend": backend, "type": kind, "labels": labels, **about}
        message = CollectMessage.for_version(job_id, name, mv.version, manifest_key, images_key, kind)
        return self._start("train", request, [message]), mv

    # -- models and queues -------------------------------------------------------------------
    def start_model(self, name: str, version: int) -> Job:
        """Ask the workers to start a model that runs elsewhere (Rekognition bills from then on)."""
        return self._model_request(name, version, "start")

    def stop_model(self, name: str, version: int) -> Job:
        return self._model_request(name, version, "stop")

    def _model_request(self, name: str, version: int, action: str) -> Job:
        mv = self.models.get_version(name, version)
        if mv is None or not mv.handle or mv.status != TRAINING_COMPLETED:
            raise RequestError(f"model {name} version {version} is not a trained model")
        ref = ModelRef(name=mv.name, model_version=mv.version, backend=mv.backend)
        job_id = new_job_id()
        message = (StartModelMessage if action == "start" else StopModelMessage).for_model(job_id, ref)
        return self._start("model", {"model": name, "version": version, "action": action}, [message])

    def redrive(self, stage: str) -> Job:
        """Ask the workers to move a stage's dead letters back to its queue (and reopen their jobs)."""
        if stage not in STAGES:
            raise RequestError(f"unknown stage {stage!r}; stages are {', '.join(STAGES)}")
        job_id = new_job_id()
        return self._start("redrive", {"stage": stage}, [RedriveMessage.for_stage(job_id, stage)])


def parse_fps(fps: str) -> Sampling:
    """`--fps` as the user typed it, checked against what any analysis accepts."""
    try:
        rate = Fraction(fps)
    except (ValueError, ZeroDivisionError):
        raise RequestError(f"--fps must be a number like 2 or 0.5, not {fps!r}") from None
    if rate < MIN_FPS or rate > 240:
        raise RequestError(f"--fps must be between {float(MIN_FPS):g} and the video's frame rate, not {fps}")
    return Sampling.at_fps(rate)


__all__ = ["ManifestError", "RequestError", "Submitter", "parse_fps"]
