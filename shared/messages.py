"""Every message that travels on a stage queue, one frozen pydantic model per stage.

A message names the work completely (which video, which segment, which sampling), so a stage can
run it on any worker, any number of times, and write the same outputs. `message_id` is derived
from that identity, never random: a re-run parent re-creates the same children, and the fan-in
counters dedupe them.
"""

from __future__ import annotations

import json
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from shared.errors import MessageDecodeError
from shared.media.types import MIN_FPS, Keyframe, Sampling, Segment

__all__ = ["MIN_FPS", "Keyframe", "Sampling", "Segment"]  # planning values the messages carry, re-exported

VERSION = 1


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class VideoRef(_Frozen):
    video_id: str  # content hash: the same file uploaded twice is one video
    key: str  # S3 key of the uploaded file
    name: str  # the file name the user gave, for messages


class SegmentSpan(_Frozen):
    """Where a segment lies in the video, in seconds (what sprite planning needs)."""

    index: int
    start_s: float
    end_s: float


class VideoFacts(_Frozen):
    """What probe learned about a video: stored on the job, carried by the messages that need it."""

    duration_s: float  # the container's
    end_s: float  # where decodable video ends (earlier than duration_s for a truncated file)
    width: int  # display size, rotation applied
    height: int
    rotation: int = 0
    fps: float
    codec: str
    frame_count: int
    keyframe_count: int
    truncated: bool = False
    segments: list[SegmentSpan] = Field(default_factory=list)


class ModelRef(_Frozen):
    """One trained model version, named completely (a later version never changes a running job)."""

    name: str
    model_version: int
    backend: str

    @property
    def slug(self) -> str:
        return f"{self.name}/v{self.model_version:06d}"


class Detecting(_Frozen):
    """What an analysis with a model asks of detect: carried probe -> extract -> detect.

    Detect keeps detections down to `floor` and the report applies `min_confidence`, so the job
    can be re-reported at any threshold from the floor up without detecting again. Jobs made
    before the floor existed have none: their detections were cut at their threshold."""

    model: ModelRef
    min_confidence: float = Field(ge=0.0, le=1.0)
    floor: float | None = Field(default=None, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _floor_not_above_threshold(self) -> Detecting:
        if self.floor is not None and self.floor > self.min_confidence:
            raise ValueError(f"detection floor {self.floor:g} is above the threshold {self.min_confidence:g}")
        return self

    @property
    def kept_from(self) -> float:
        """The confidence the stored detections go down to: the lowest threshold a report can apply."""
        return self.min_confidence if self.floor is None else self.floor

    @property
    def slug(self) -> str:
        """Folder for these detections: the same video, model and exact floor reuse them, whatever
        threshold each job applies (0.495 and 0.5 are two folders: detections cut at 0.5 lack what
        0.495 keeps)."""
        return f"{self.model.slug}/c{self.kept_from!r}"


class Message(_Frozen):
    version: Literal[1] = VERSION
    job_id: str
    message_id: str
    stage: str
    group: str | None = None  # counted apart from the stage's other messages (one video of several)
    waiting_since: float | None = None  # epoch s of its first RetryLater: bounds the total wait

    @property
    def counter(self) -> str:
        """The fan-in counter this message completes: `extract`, or `extract@<video>` in a group."""
        return self.stage if self.group is None else f"{self.stage}@{self.group}"

    def encode(self) -> str:
        return self.model_dump_json()


class ProbeMessage(Message):
    stage: Literal["probe"] = "probe"
    video: VideoRef
    sampling: Sampling
    segment_seconds: float = 30.0
    detect: Detecting | None = None  # set: every segment is also run through this model
    per_video: bool = False  # one of several videos: its segments are counted as their own group

    @classmethod
    def for_video(cls, job_id: str, video: VideoRef, sampling: Sampling, segment_seconds: float,
                  detect: Detecting | None = None, per_video: bool = False) -> ProbeMessage:
        return cls(job_id=job_id, message_id=f"probe:{video.video_id}", video=video,
                   sampling=sampling, segment_seconds=segment_seconds, detect=detect, per_video=per_video)


class ExtractMessage(Message):
    stage: Literal["extract"] = "extract"
    video: VideoRef
    sampling: Sampling
    segment: Segment
    time_base: str  # the stream's, exact ("1/12288")
    origin_pts: int  # pts of the first frame: t = (pts - origin_pts) * time_base
    end_s: float  # where decodable video ends (container duration, or where a truncated file stops)
    detect: Detecting | None = None

    @classmethod
    def for_segment(cls, job_id: str, video: VideoRef, sampling: Sampling, segment: Segment,
                    time_base: str, origin_pts: int, end_s: float, detect: Detecting | None = None,
                    per_video: bool = False) -> ExtractMessage:
        return cls(job_id=job_id, message_id=f"extract:{video.video_id}:{sampling.slug}:{segment.index:04d}",
                   video=video, sampling=sampling, segment=segment, time_base=time_base,
                   origin_pts=origin_pts, end_s=end_s, detect=detect, group=video.video_id if per_video else None)


class SpriteMessage(Message):
    stage: Literal["sprite"] = "sprite"
    video: VideoRef
    sampling: Sampling
    sheet: int  # one sheet per minute of video
    segments: list[int]  # the segments whose tiles fall in this minute
    facts: VideoFacts  # length and display size lay the sheet out

    @classmethod
    def for_sheet(cls, job_id: str, video: VideoRef, sampling: Sampling, sheet: int,
                  segments: list[int], facts: VideoFacts) -> SpriteMessage:
        return cls(job_id=job_id, message_id=f"sprite:{video.video_id}:{sampling.slug}:{sheet:03d}",
                   video=video, sampling=sampling, sheet=sheet, segments=segments, facts=facts)


class LabelMessage(Message):
    """Frames are extracted: write Ground Truth's input files and start labeling (the seed's
    "prepare labeling" and "start and wait labeling job" steps)."""

    stage: Literal["label"] = "label"
    model: str
    model_version: int
    kind: Literal["object", "concept"]
    labels: list[str]
    labeler: Literal["builtin", "groundtruth"]
    videos: list[VideoRef] = Field(default_factory=list)
    sampling: Sampling
    images_key: str | None = None  # JSON in the bucket: [{"name", "key"}] of uploaded images
    max_frames: int = 1200  # per video
    prelabel: ModelRef | None = None  # propose this model's detections (built-in labeler)

    @classmethod
    def for_job(cls, job_id: str, **fields: object) -> LabelMessage:
        return cls(job_id=job_id, message_id=f"label:{job_id}", **fields)  # type: ignore[arg-type]


class CollectMessage(Message):
    """Turn labels into a training manifest, then train (the seed's "collect annotations" step):
    a Ground Truth or COCO file the user uploaded with the images it names, or the output of the
    labeling job this training waited for."""

    stage: Literal["collect"] = "collect"
    model: str
    model_version: int
    manifest_key: str | None = None  # the uploaded file, in the data bucket
    images_key: str | None = None  # JSON in the bucket: source-ref as written -> the s3:// URI where it is
    kind: Literal["object", "concept"] | None = None  # None: as the file says
    labeling_job: str | None = None  # or: the labeling job whose output this is

    @classmethod
    def for_version(cls, job_id: str, model: str, version: int, manifest_key: str, images_key: str | None,
                    kind: str | None) -> CollectMessage:
        return cls(job_id=job_id, message_id=f"collect:{model}:{version}", model=model, model_version=version,
                   manifest_key=manifest_key, images_key=images_key, kind=kind)  # type: ignore[arg-type]

    @classmethod
    def for_labeling(cls, job_id: str, model: str, version: int, labeling_job: str, kind: str) -> CollectMessage:
        return cls(job_id=job_id, message_id=f"collect:{model}:{version}", model=model, model_version=version,
                   labeling_job=labeling_job, kind=kind)  # type: ignore[arg-type]


class TrainMessage(Message):
    stage: Literal["train"] = "train"
    model: str
    model_version: int  # not `version`: that is the message schema's

    @classmethod
    def for_version(cls, job_id: str, model: str, version: int) -> TrainMessage:
        return cls(job_id=job_id, message_id=f"train:{model}:{version}", model=model, model_version=version)


class StartModelMessage(Message):
    """Make a model version ready to detect (the seed's "start model" branch, beside extraction)."""

    stage: Literal["start-model"] = "start-model"
    model: ModelRef

    @classmethod
    def for_model(cls, job_id: str, model: ModelRef) -> StartModelMessage:
        return cls(job_id=job_id, message_id=f"start-model:{model.slug}", model=model)


class StopModelMessage(Message):
    """Stop a started model (Rekognition bills while it runs); asked for from the dashboard or CLI."""

    stage: Literal["stop-model"] = "stop-model"
    model: ModelRef

    @classmethod
    def for_model(cls, job_id: str, model: ModelRef) -> StopModelMessage:
        return cls(job_id=job_id, message_id=f"stop-model:{model.slug}", model=model)


class DetectMessage(Message):
    """Detect on one segment's frames, as soon as extract has written them."""

    stage: Literal["detect"] = "detect"
    video: VideoRef
    sampling: Sampling
    segment: int
    detect: Detecting

    @classmethod
    def for_segment(cls, job_id: str, video: VideoRef, sampling: Sampling, segment: int,
                    detect: Detecting) -> DetectMessage:
        return cls(job_id=job_id, message_id=f"detect:{video.video_id}:{sampling.slug}:{detect.slug}:{segment:04d}",
                   video=video, sampling=sampling, segment=segment, detect=detect)


class AggregateMessage(Message):
    """All segments detected: build the visibility report."""

    stage: Literal["aggregate"] = "aggregate"
    video: VideoRef
    sampling: Sampling
    detect: Detecting
    facts: VideoFacts  # frame intervals are clipped to [0, end_s]; one detections file per segment
    gap_s: float  # detections closer than this are one appearance

    @classmethod
    def for_video(cls, job_id: str, video: VideoRef, sampling: Sampling, detect: Detecting, facts: VideoFacts,
                  gap_s: float) -> AggregateMessage:
        return cls(job_id=job_id, message_id=f"aggregate:{job_id}", video=video, sampling=sampling, detect=detect,
                   facts=facts, gap_s=gap_s)


class RedriveMessage(Message):
    """Move a stage's dead letters back to its queue: carried out by the workers' control consumer,
    never by the dashboard or CLI themselves."""

    stage: Literal["control"] = "control"
    action: Literal["redrive"] = "redrive"
    target: str  # the stage whose dead-letter queue is emptied

    @classmethod
    def for_stage(cls, job_id: str, target: str) -> RedriveMessage:
        return cls(job_id=job_id, message_id=f"redrive:{target}:{job_id}", target=target)


class LabelingEvent(Message):
    """A labeling job ended (Ground Truth's state-change event, or our labeler's): decoded from the
    EventBridge envelope on the events queue by the workers' events consumer, never sent."""

    stage: Literal["events"] = "events"
    labeling_job: str
    status: str  # Completed | Failed | Stopped
    source: str  # aws.sagemaker | brandvis.labeler


AnyMessage = Annotated[Union[ProbeMessage, ExtractMessage, SpriteMessage, LabelMessage, CollectMessage, TrainMessage,
                             StartModelMessage, StopModelMessage, DetectMessage, AggregateMessage, RedriveMessage],
                       Field(discriminator="stage")]
_ADAPTER: TypeAdapter[Message] = TypeAdapter(AnyMessage)


def decode(body: str) -> Message:
    """Parse a queue body; anything we cannot act on raises MessageDecodeError (a poison message)."""
    try:
        raw = json.loads(body)
    except (TypeError, ValueError) as exc:
        raise MessageDecodeError(f"message body is not JSON: {exc}") from exc
    except RecursionError:  # '[[[[…' nested past the interpreter's stack: not one of ours either
        raise MessageDecodeError("message body is not a brandvis message: JSON nested too deeply") from None
    if not isinstance(raw, dict):
        raise MessageDecodeError("message body is not a JSON object")
    if raw.get("version") != VERSION:
        raise MessageDecodeError(f"unsupported message version {raw.get('version')!r} (this worker reads {VERSION})")
    try:
        return _ADAPTER.validate_python(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise MessageDecodeError(f"invalid {raw.get('stage', '?')} message: {where}: {first.get('msg')}") from exc


def _field_of(body: str, name: str) -> str | None:
    try:
        raw = json.loads(body)
    except (TypeError, ValueError, RecursionError):
        return None
    value = raw.get(name) if isinstance(raw, dict) else None
    return value if isinstance(value, str) else None


def job_id_of(body: str) -> str | None:
    """Best effort: which job a (possibly undecodable) body belongs to, to record its failure."""
    return _field_of(body, "job_id")


def message_id_of(body: str) -> str | None:
    """Best effort, like `job_id_of`: for listing dead letters that may not decode."""
    return _field_of(body, "message_id")
