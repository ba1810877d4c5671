"""Job requests: everything the CLI and the dashboard may ask for. Upload, record, send one message.

Nothing else starts work: a request checks what it can without doing the work (the file exists,
the model is trained, the manifest parses), uploads the user's files by content, creates the job
record and sends its first message; the workers do the rest, and report back on the job. That
includes starting and stopping models and redriving dead letters: the UIs never do those
themselves.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, BinaryIO

from shared import layout
from shared.aws import Clients
from shared.campaigns import store as campaign_store
from shared.dispatch import Dispatcher, QueueUrls
from shared.jobs import Job, JobStore, new_job_id
from shared.ledger import MessageLedger
from shared.labeling import groundtruth
from shared.labeling.formats import check_labels
from shared.labeling.task import LABELERS
from shared.messages import (MIN_FPS, CollectMessage, Detecting, LabelMessage, Message, ModelRef, ProbeMessage,
                             RedriveMessage, Sampling, StartModelMessage, StopModelMessage, TrainMessage, VideoRef)
from shared.models.backend import BACKENDS, TRAINING_COMPLETED
from shared.models.dataset import TYPES
from shared.models.dataset import Dataset
from shared.models.manifest import (ManifestError, bucket_refused, item_problems, label_problems, line_of,
                                    read_manifest, refuse, resolve_sources)
from shared.models.store import ModelStore, ModelVersion, model_prefix
from shared.models.text.match import normalize, parse_words
from shared.names import STAGES, InvalidName, check_name, file_display_name
from shared.report.campaign import CampaignError, clean_meta, name_problem
from shared.storage import Storage
from shared.uploads import DirectUpload, UploadRefused, adopt, presign_post, safe_name, upload_path, upload_stream

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}  # anything else given to label is a video


@dataclass(frozen=True)
class StoredImage:
    """An image to label, already in the bucket at its content key (a browser's upload, adopted)."""

    id: str
    key: str
    name: str


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

    def _start(self, kind: str, request: dict[str, Any], messages: list[Message]) -> Job:
        """Create the job, then send its first messages (recorded in its ledger first); each counter
        expects as many as are sent to it (one probe per video...)."""
        job_id = messages[0].job_id
        expect = Counter(m.counter for m in messages)
        job = self.jobs.create_job(job_id, kind, request, first_stage=messages[0].counter,
                                   first_expected=expect.pop(messages[0].counter))
        if expect:
            from shared.counters import StageCounters

            counters = StageCounters(self.clients.dynamodb, self.clients.names.jobs_table)
            for stage, n in expect.items():
                counters.set_expected(job_id, stage, n)
        ledger = MessageLedger(self.clients.dynamodb, self.clients.names.jobs_table)
        Dispatcher(self.clients.sqs, ledger, QueueUrls(self.clients.sqs, self.clients.names),
                   copies=2 if self.clients.config.duplicate_sends else 1).send(messages)
        return job

    # -- analysis ----------------------------------------------------------------------------
    def upload_video(self, path: Path) -> VideoRef:
        """Upload once per content: the S3 key carries the file's hash, so re-uploads are skipped."""
        if not path.is_file():
            raise RequestError(f"no such file: {path}")
        video_id, key = upload_path(self.storage, path, layout.source_key)
        return VideoRef(video_id=video_id, key=key, name=path.name)

    def upload_video_stream(self, stream: BinaryIO, name: str, sampling: Sampling | None = None) -> VideoRef:
        """The same for a file the dashboard received: streamed to S3, never written locally;
        `sampling` is checked against the file's frame rate first."""
        if sampling is not None:
            check_sampling(stream, sampling, name)
        video_id, key = upload_stream(self.storage, stream, safe_name(name, "video"), layout.source_key)
        return VideoRef(video_id=video_id, key=key, name=file_display_name(name, "video"))

    def presign_video(self, name: str) -> DirectUpload:
        """Where a browser may POST one file itself (the dashboard's videos, and images to label), at most
        upload_max_mb."""
        try:
            return presign_post(self.storage, name, self.clients.config.upload_max_mb * 1024 * 1024)
        except UploadRefused as exc:
            raise RequestError(str(exc)) from None

    def adopt_video(self, upload: DirectUpload, name: str) -> VideoRef:
        """The video a browser POSTed for `upload`, at its content key (its frame rate is checked by probe)."""
        try:
            video_id, key = adopt(self.storage, upload, name, layout.source_key)
        except UploadRefused as exc:
            raise RequestError(str(exc)) from None
        return VideoRef(video_id=video_id, key=key, name=name)

    def adopt_media(self, upload: DirectUpload, name: str) -> VideoRef | StoredImage:
        """A video or an image to label that a browser POSTed for `upload` (`presign_video` gives the POST
        for either), at its content key: for `train_media`."""
        if Path(name).suffix.lower() not in IMAGE_SUFFIXES:
            return self.adopt_video(upload, name)
        try:
            content, key = adopt(self.storage, upload, name, layout.dataset_file_key)
        except UploadRefused as exc:
            raise RequestError(str(exc)) from None
        return StoredImage(content, key, file_display_name(name, "image"))

    def analyze(self, video: Path | VideoRef, sampling: Sampling, segment_seconds: float | None = None,
                model: str | None = None, model_version: int | None = None, min_confidence: float = 0.5,
                gap_s: float | None = None, campaign: str | None = None,
                meta: dict[str, str] | None = None) -> Job:
        """Media stages only without `model`; with one, also start-model, detect and aggregate.
        `campaign`: the job joins that campaign (made on its first member) with `meta` (date,
        event, channel, audience); the membership is written before the first message, so a
        job never runs outside its campaign."""
        if campaign is not None:
            if model is None:
                raise RequestError("--campaign needs --model: a campaign adds up the videos' reports")
            campaign, meta = _campaign_request(campaign, meta)
        elif meta:
            raise RequestError("meta describes a video of a campaign: give --campaign too")
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
        if isinstance(video, VideoRef):  # uploaded before; probe.json holds its rate once it was analysed
            key = layout.probe_key(video.video_id)
            probed = self.storage.get_json(key) if sampling.mode == "fps" and self.storage.exists(key) else None
            _refuse_rate(sampling, Fraction(probed["streams"][0]["r_frame_rate"]) if probed else None, video.name)
            ref = video
        else:
            check_sampling(video, sampling)
            ref = self.upload_video(video)
        job_id = new_job_id()
        request: dict[str, Any] = {"video": ref.model_dump(), "sampling": sampling.model_dump(),
                                   "segment_seconds": seconds}
        messages: list[Message] = [ProbeMessage.for_video(job_id, ref, sampling, seconds, detect)]
        if detect is not None:
            request.update(detect=detect.model_dump(), gap_s=gap)
            messages.append(StartModelMessage.for_model(job_id, detect.model))
        if campaign is None:
            return self._start("analyze", request, messages)
        request.update(campaign=campaign, meta=meta or {})
        members = campaign_store(self.clients)
        members.add_member(campaign, job_id, ref.name, meta)
        try:
            return self._start("analyze", request, messages)
        except BaseException:
            if self.jobs.job_status(job_id) is None:  # never created: the campaign does not list it
                members.remove_member(campaign, job_id)
            raise  # created (its ledger holds the first messages, which the resume sweep sends): it stays

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
                         min_confidence=min_confidence,
                         floor=min(self.clients.config.detection_floor, min_confidence))

    # -- training ----------------------------------------------------------------------------
    def train(self, manifest: str, name: str, kind: str | None = None, backend: str = "local",
              words: dict[str, str] | None = None) -> tuple[Job, ModelVersion]:
        """From a manifest on this machine (its local images are uploaded) or in S3; `words`: what
        some labels' marks read as, when the reading learned from their boxes should not decide."""
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
        dataset, unreadable = read_manifest(text, kind=kind, name=Path(location).name)
        missing: list[str] = []
        images: dict[str, str] = {}
        for item, ref in zip(dataset.items, resolve_sources(dataset, location)):
            if item.source_ref in images:
                continue
            if ref.startswith("s3://"):
                why = bucket_refused(ref, self.clients.config.allowed_buckets)
                if why:
                    missing.append(f"{line_of(dataset, item)}: {why}")
                images[item.source_ref] = ref
            elif Path(ref).is_file():
                images[item.source_ref] = self.storage.uri(upload_path(self.storage, Path(ref), layout.dataset_file_key)[1])
            else:
                missing.append(f"{line_of(dataset, item)}: image not found: {ref}")
        refuse(manifest_problems(dataset, unreadable, missing) + self._word_problems(words or {}, dataset.labels))
        manifest_key = self._upload_manifest(text.encode(), Path(location).name)
        return self._queue_training(name, backend, dataset.type, dataset.labels, dataset.count(), manifest_key,
                                    images, {"manifest": location, "images": len(dataset.items)}, words or {})

    def train_uploaded(self, manifest: BinaryIO, manifest_name: str,
                       images: list[tuple[str, BinaryIO]] | list[StoredImage],
                       name: str, kind: str | None = None, backend: str = "local",
                       words: dict[str, str] | None = None) -> tuple[Job, ModelVersion]:
        """From files the dashboard received (images: or put in the bucket by a browser, adopted with
        `adopt_media`): the manifest may name only the images sent with it
        (matched by base name, whatever folder the reference names) or objects in the buckets
        the configuration allows. Nothing on the server's disk is read, and every other reference
        gets the same message, so the answer says nothing about what exists there."""
        self._check_training(name, kind, backend)
        data = manifest.read()
        dataset, unreadable = read_manifest(data.decode("utf-8-sig"), kind=kind, name=manifest_name)
        sent = {file_display_name(i.name if isinstance(i, StoredImage) else i[0]) for i in images}
        missing: list[str] = []
        for item in dataset.items:
            ref = item.source_ref
            if ref.startswith("s3://"):
                why = bucket_refused(ref, self.clients.config.allowed_buckets)
                if why:
                    missing.append(f"{line_of(dataset, item)}: {why}")
            elif file_display_name(ref) not in sent:  # any other reference: the same words, nothing read
                missing.append(f"{line_of(dataset, item)}: {ref!r} is not one of the images uploaded with the manifest")
        refuse(manifest_problems(dataset, unreadable, missing) + self._word_problems(words or {}, dataset.labels))
        keys = {file_display_name(i.name): self.storage.uri(i.key) for i in images if isinstance(i, StoredImage)}
        keys.update({file_display_name(i[0]): self.storage.uri(upload_stream(self.storage, i[1], i[0],
                                                                             layout.dataset_file_key)[1])
                     for i in images if not isinstance(i, StoredImage)})
        by_name = {item.source_ref: keys[file_display_name(item.source_ref)] for item in dataset.items
                   if not item.source_ref.startswith("s3://")}
        manifest_key = self._upload_manifest(data, manifest_name)
        return self._queue_training(name, backend, dataset.type, dataset.labels, dataset.count(), manifest_key,
                                    by_name, {"manifest": manifest_name, "images": len(dataset.items)}, words or {})

    def train_media(self, media: list[Path] | list[tuple[str, BinaryIO]] | list[VideoRef | StoredImage],
                    labels: str | list[str], name: str,
                    kind: str = "object", labeler: str | None = None, backend: str = "local",
                    sampling: Sampling | None = None, prelabel: str | None = None) -> tuple[Job, ModelVersion]:
        """From raw videos and images (paths here, files the dashboard received, or files a browser put in
        the bucket, adopted with `adopt_media`): frames are extracted, people label them (WAITING), then
        collect and train. `prelabel`: "MODEL" or "MODEL:VERSION" whose detections are proposed, "none"
        for none; by default the newest trained version of this model, if there is one."""
        self._check_training(name, kind, backend)
        if kind not in TYPES:
            raise RequestError(f"--type must be one of {', '.join(TYPES)} to label from media")
        try:
            names = check_labels(labels.split(",") if isinstance(labels, str) else labels)
        except ValueError as exc:
            raise RequestError(f"--labels: {exc}") from None
        labeler = labeler or self.clients.config.labeler
        if labeler not in LABELERS:
            raise RequestError(f"unknown labeler {labeler!r}; labelers: {', '.join(LABELERS)}")
        if labeler == "groundtruth":
            if self.clients.config.is_local:
                raise RequestError("the groundtruth labeler runs on AWS: set BRANDVIS_MODE=aws, or use --labeler builtin")
            found = groundtruth.problems(self.clients.config, kind, names)
            if found:
                raise RequestError("; ".join(found))
        sampling = sampling or Sampling.every_keyframe()
        proposer = self._prelabel_model(name, prelabel, kind) if labeler == "builtin" else None
        if not media:
            raise RequestError("give at least one video or image to label (--media FILE...)")
        for item in media:
            if isinstance(item, Path) and not item.is_file():
                raise RequestError(f"no such file: {item}")
            if isinstance(item, Path) and item.suffix.lower() not in IMAGE_SUFFIXES:
                check_sampling(item, sampling)

        videos: dict[str, VideoRef] = {}
        images: dict[str, dict[str, str]] = {}
        for item in media:
            if isinstance(item, StoredImage):
                images.setdefault(item.id, {"id": item.id, "key": item.key, "name": item.name})
                continue
            if isinstance(item, VideoRef):
                videos.setdefault(item.video_id, item)
                continue
            file_name = item.name if isinstance(item, Path) else item[0]
            if Path(file_name).suffix.lower() in IMAGE_SUFFIXES:
                content, key = (upload_path(self.storage, item, layout.dataset_file_key) if isinstance(item, Path)
                                else upload_stream(self.storage, item[1], safe_name(file_name, "image"),
                                                   layout.dataset_file_key))
                images.setdefault(content, {"id": content, "key": key, "name": file_display_name(file_name, "image")})
            else:
                ref = self.upload_video(item) if isinstance(item, Path) else self.upload_video_stream(item[1], file_name)
                videos.setdefault(ref.video_id, ref)
        job_id = new_job_id()
        mv = self.models.create_version(name, backend, kind, names, job_id, {},
                                        lambda v: f"{model_prefix(name, v)}/manifest.jsonl")
        images_key = None
        if images:
            images_key = f"{mv.prefix}/label-images.json"
            self.storage.put_json(images_key, list(images.values()))
        request: dict[str, Any] = {
            "model": name, "version": mv.version, "backend": backend, "type": kind, "labels": names,
            "labeler": labeler, "videos": [v.model_dump() for v in videos.values()], "images": len(images),
            "images_key": images_key, "sampling": sampling.model_dump(), "max_frames": self.clients.config.labeling_max_frames,
            "segment_seconds": self.clients.config.segment_seconds,
            "prelabel": proposer.model_dump() if proposer else None}
        messages: list[Message] = [ProbeMessage.for_video(job_id, v, sampling, self.clients.config.segment_seconds,
                                                          per_video=True) for v in videos.values()]
        if not messages:  # images only: straight to labeling
            messages = [LabelMessage.for_job(job_id, model=name, model_version=mv.version, kind=kind, labels=names,
                                             labeler=labeler, sampling=sampling, images_key=images_key,
                                             max_frames=self.clients.config.labeling_max_frames, prelabel=proposer)]
        return self._start("train", request, messages), mv

    def _prelabel_model(self, name: str, prelabel: str | None, kind: str) -> ModelRef | None:
        if prelabel is not None and prelabel.strip().lower() in ("", "none"):
            return None
        if prelabel is None:
            mv = self.models.get_version(name)
            if mv is None or mv.type != kind:
                return None
        else:
            model, _, version = prelabel.partition(":")
            try:
                mv = self.models.get_version(model, int(version) if version else None)
            except ValueError:
                raise RequestError(f"--prelabel {prelabel!r}: write MODEL or MODEL:VERSION") from None
            if mv is None or mv.status != TRAINING_COMPLETED:
                raise RequestError(f"--prelabel: model {prelabel} has no trained version")
            if mv.type == "concept" and kind == "object":
                raise RequestError(f"--prelabel: model {prelabel} labels whole frames; it cannot propose boxes")
        return ModelRef(name=mv.name, model_version=mv.version, backend=mv.backend)

    def train_text(self, brands: str | dict[str, str], name: str, backend: str = "local") -> tuple[Job, ModelVersion]:
        """A text-only model from brand names alone ("voltix,norda,axiom-labs=AXIOM LABS"): no images,
        no labeling; brands are found by reading their names (Rekognition: DetectText)."""
        self._check_training(name, None, backend)
        try:
            words = parse_words(brands) if isinstance(brands, str) else dict(brands)
        except ValueError as exc:
            raise RequestError(f"--text: {exc}") from None
        labels = list(words)
        job_id = new_job_id()
        mv = self.models.create_version(name, backend, "text", labels, job_id, {label: 0 for label in labels},
                                        lambda v: "", words=words)
        request = {"model": name, "version": mv.version, "backend": backend, "type": "text", "labels": labels,
                   "words": words}
        return self._start("train", request, [TrainMessage.for_version(job_id, name, mv.version)]), mv

    def retext(self, name: str, version: int, words: dict[str, str]) -> tuple[Job, ModelVersion]:
        """A new version that differs only in what some labels read as (the head is not retrained)."""
        base = self.models.get_version(name, version)
        if base is None or base.status != TRAINING_COMPLETED:
            raise RequestError(f"model {name} version {version} is not a trained model")
        if base.type == "concept":
            raise RequestError(f"model {name} labels whole frames (concept): it has no text to set")
        problems_ = self._word_problems(words, base.labels, allow_empty=True)
        if problems_:
            raise RequestError("; ".join(problems_))
        job_id = new_job_id()
        merged = {**base.words, **words}
        mv = self.models.create_version(name, base.backend, base.type, base.labels, job_id, base.counts,
                                        lambda v: base.manifest_key, words=merged, base_version=version)
        request = {"model": name, "version": mv.version, "backend": base.backend, "type": base.type,
                   "labels": base.labels, "from_version": version, "words": words}
        return self._start("train", request, [TrainMessage.for_version(job_id, name, mv.version)]), mv

    @staticmethod
    def _word_problems(words: dict[str, str], labels: list[str], allow_empty: bool = False) -> list[str]:
        found = [f"--text: no label {label!r} in the model (labels: {', '.join(labels)})"
                 for label in words if label not in labels]
        found += [f"--text: {label}: {word!r} has too few letters to read" for label, word in words.items()
                  if label in labels and len(normalize(word)) < 2 and not (allow_empty and not word.strip())]
        return found

    def _check_training(self, name: str, kind: str | None, backend: str) -> None:
        try:
            check_name(name, "model name")
        except InvalidName as exc:
            raise RequestError(str(exc)) from None
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
                        manifest_key: str, images: dict[str, str], about: dict[str, Any],
                        words: dict[str, str]) -> tuple[Job, ModelVersion]:
        job_id = new_job_id()
        mv = self.models.create_version(name, backend, kind, labels, job_id, counts,
                                        lambda v: f"{model_prefix(name, v)}/manifest.jsonl", words=words)
        images_key = f"{mv.prefix}/images.json"
        self.storage.put_json(images_key, images)  # thousands of names would not fit in a message
        request = {"model": name, "version": mv.version, "backend": backend, "type": kind, "labels": labels, **about,
                   **({"words": words} if words else {})}
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


def _campaign_request(name: str, meta: dict[str, str] | None) -> tuple[str, dict[str, str]]:
    """The campaign name and the video's meta as stored, or one RequestError naming every problem."""
    problems = [p for p in [name_problem(name)] if p]
    try:
        cleaned = clean_meta(meta, "--meta")
    except CampaignError as exc:
        problems.append(str(exc))
        cleaned = {}
    if problems:
        raise RequestError("; ".join(problems))
    return name, cleaned


def manifest_problems(dataset: Dataset, unreadable: list[str], missing: list[str]) -> list[str]:
    """Everything wrong with a manifest at once, in the order the analyst meets it: lines that do
    not read, each image's labels, images not found, then labels with too few examples."""
    if not dataset.items:
        return unreadable or ["the dataset has no images"]
    return unreadable + item_problems(dataset) + missing + label_problems(dataset)


def check_sampling(video: Path | BinaryIO, sampling: Sampling, name: str | None = None) -> None:
    """Refuse, before anything is uploaded or queued, a sampling rate above the video's frame rate
    (the probe stage would fail the job for it later). A file whose headers say nothing is left
    to the probe stage, which names what is wrong with it."""
    if sampling.mode != "fps":
        return
    from shared.media.probe import frame_rate

    _refuse_rate(sampling, frame_rate(video), name or getattr(video, "name", "the video"))


def _refuse_rate(sampling: Sampling, rate: Fraction | None, name: str) -> None:
    if sampling.mode == "fps" and rate and sampling.rate > rate:
        raise RequestError(f"--fps {float(sampling.rate):g} asks for more frames than {Path(name).name} has "
                           f"({float(rate):g} frames/s); use --fps {float(rate):g} or less")


def parse_fps(fps: str) -> Sampling:
    """`--fps` as the user typed it, checked against what any analysis accepts."""
    try:
        rate = Fraction(fps)
    except (ValueError, ZeroDivisionError):
        raise RequestError(f"--fps must be a number like 2 or 0.5, not {fps!r}") from None
    if rate < MIN_FPS or rate > 240:
        raise RequestError(f"--fps must be between {float(MIN_FPS):g} and the video's frame rate, not {fps}")
    return Sampling.at_fps(rate)


__all__ = ["ManifestError", "RequestError", "Submitter", "check_sampling", "parse_fps"]
