"""A labeling task: what one training job asked people to label, written once by the label stage.

It names the Ground Truth input files it wrote and, per video (and one for uploaded images), the
frames in labeling order, so the labelers, `label import`, the Label page and collect all agree on
which frames exist. Stored as JSON beside the input files (`labeling/<name>/task.json`).
"""

from __future__ import annotations

import hashlib
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.messages import ModelRef

LABELERS = ("builtin", "groundtruth")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TaskSequence(_Frozen):
    """One video's frames (or the uploaded images), in the order a labeler shows them."""

    seq_no: int
    source: str  # the video's or "images"
    video_id: str | None = None  # None for the images sequence
    prefix: str  # s3://bucket/.../ (ends with '/'): frame i is prefix + frames[i]
    frames: list[str]
    times: list[float] | None = None  # seconds into the video, per frame (None for images)
    uri: str = ""  # the frame-sequence file


class LabelingTask(_Frozen):
    name: str  # the labeling job's name, as Ground Truth requires it
    job_id: str
    kind: Literal["object", "concept"]
    labels: list[str]
    labeler: Literal["builtin", "groundtruth"]
    model: str
    model_version: int
    sequences: list[TaskSequence]
    manifest_uri: str  # the input manifest: sequence files (object) or images (concept)
    config_uri: str  # the label category configuration
    template_uri: str | None = None  # the worker template (classification on Ground Truth)
    output_prefix: str  # S3OutputPath: the output lands under <output_prefix><name>/
    prelabel: ModelRef | None = None  # whose detections the built-in labeler proposes
    created_at: str = ""
    frame_sizes: dict[str, list[int]] = Field(default_factory=dict)  # seq_no -> [width, height] (videos)

    @property
    def frame_count(self) -> int:
        return sum(len(s.frames) for s in self.sequences)

    def sequence(self, seq_no: int) -> TaskSequence:
        for s in self.sequences:
            if s.seq_no == seq_no:
                return s
        raise KeyError(f"labeling job {self.name} has no sequence {seq_no}")

    def frame_uri(self, seq_no: int, frame_no: int) -> str:
        s = self.sequence(seq_no)
        return s.prefix + s.frames[frame_no]


def labeling_job_name(model: str, job_id: str) -> str:
    """`<model>-<32 hex>` as the AWS sample names its jobs, within Ground Truth's pattern
    `[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}` (no '_' or '.') and unique per training job."""
    stem = re.sub(r"[^A-Za-z0-9]+", "-", model).strip("-")[:30] or "brandvis"
    return f"{stem}-{hashlib.sha256(job_id.encode()).hexdigest()[:32]}"


def task_key(name: str) -> str:
    return f"labeling/{name}/task.json"


def input_prefix(name: str) -> str:
    return f"labeling/{name}/input/"


def output_prefix(name: str) -> str:
    """Where output goes (S3OutputPath); Ground Truth adds `<name>/` below it."""
    return "labeling/output/"


def prelabels_key(name: str, seq_no: int) -> str:
    return f"labeling/{name}/prelabels/{seq_no:04d}.json"
