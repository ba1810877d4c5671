"""One interface, two backends: the local detector and Rekognition Custom Labels.

Training is asynchronous in general (Rekognition takes about an hour): `train`
returns a handle at once, `training_state` says where it is, and the train stage re-checks with
delayed messages (RetryLater) until it is done; the local backend simply finishes inside
`train` and reports TRAINING_COMPLETED. A handle is a plain dict, stored on the model
version record. `detect` returns `Detections` (the Rekognition DetectCustomLabels shape comes
from `Detections.to_rekognition()`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Protocol, Sequence

import numpy as np

from shared.models.dataset import Dataset
from shared.detections import Detections

#: Where a model can train and run.
BACKENDS = ("local", "rekognition")

# Statuses, as Rekognition's DescribeProjectVersions spells them; the local backend uses the same.
QUEUED = "QUEUED"  # recorded, not yet handed to a backend (ours, not Rekognition's)
TRAINING_IN_PROGRESS = "TRAINING_IN_PROGRESS"
TRAINING_COMPLETED = "TRAINING_COMPLETED"
TRAINING_FAILED = "TRAINING_FAILED"
STARTING, RUNNING, STOPPING, STOPPED, FAILED = "STARTING", "RUNNING", "STOPPING", "STOPPED", "FAILED"

Handle = dict[str, Any]


@dataclass(frozen=True)
class TrainingState:
    status: str
    message: str = ""

    @property
    def done(self) -> bool:
        return self.status in (TRAINING_COMPLETED, TRAINING_FAILED, FAILED, STOPPED, RUNNING)

    @property
    def failed(self) -> bool:
        return self.status in (TRAINING_FAILED, FAILED)


@dataclass
class Metrics:
    """Evaluation on held-out images, one shape for both backends."""

    f1: float
    precision: float
    recall: float
    threshold: float  # confidence the figures were taken at (0..1)
    test_images: int
    per_label: dict[str, dict[str, float]] = field(default_factory=dict)  # label -> precision/recall/f1/...
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, e: dict[str, Any]) -> Metrics:
        return cls(f1=e.get("f1", 0.0), precision=e.get("precision", 0.0), recall=e.get("recall", 0.0),
                   threshold=e.get("threshold", 0.5), test_images=e.get("test_images", 0),
                   per_label=e.get("per_label", {}), extra=e.get("extra", {}))

    def to_dict(self) -> dict[str, Any]:
        return {"f1": self.f1, "precision": self.precision, "recall": self.recall, "threshold": self.threshold,
                "test_images": self.test_images, "per_label": self.per_label, **({"extra": self.extra} if self.extra else {})}


class BackendError(RuntimeError):
    """The backend refused the request for a reason the user must act on (message says what)."""


class Backend(Protocol):
    """Detection's `min_confidence` must be a plain cut: what a backend returns at c is what it
    returns at any lower c' with the detections below c dropped (suppression between boxes looks
    only at more confident ones), so a job's detections kept down to a floor can be reported at
    any threshold above it (shared/job_report.py) exactly as a detection at that threshold."""

    name: str
    reads_bucket: bool  # True: detect_stored reads frames from the bucket; False: detect takes images

    def train(self, model: str, version: str, dataset: Dataset, manifest_key: str, output_prefix: str,
              words: dict[str, str] | None = None) -> Handle:
        """Start (or run) training; `words`: what labels read as, set by the user."""
        ...

    def retext(self, handle: Handle, labels: Sequence[str], words: dict[str, str], output_prefix: str) -> Handle:
        """A trained version's handle, with what some labels read as set by the user (no training)."""
        ...

    def training_state(self, handle: Handle) -> TrainingState: ...

    def evaluation(self, handle: Handle) -> Metrics: ...

    def start(self, handle: Handle, min_inference_units: int = 1) -> str: ...

    def status(self, handle: Handle) -> str: ...

    def stop(self, handle: Handle) -> str: ...

    def ready(self, handle: Handle) -> bool:
        """Can `detect` run now? (False: the caller re-checks later.)"""
        ...

    def detect(self, handle: Handle, images: Sequence[np.ndarray], min_confidence: float = 0.5) -> list[Detections]: ...

    def detect_sequence(self, handle: Handle, images: Iterable[np.ndarray],
                        min_confidence: float = 0.5, followed_only: int = 0) -> list[Detections]:
        """Where not `reads_bucket`: a segment's frames in order (a backend may use their order);
        the last `followed_only` are only looked at for what the frames before carry onto them."""
        ...

    def sequential(self, handle: Handle) -> bool:
        """Whether `detect_sequence` uses the frames' order (then detect adds the next segment's
        first frames, to look across the seam)."""
        ...

    def detect_stored(self, handle: Handle, bucket: str, keys: Sequence[str], size: tuple[int, int],
                      min_confidence: float = 0.5) -> list[Detections]:
        """Only where `reads_bucket`: frames (all `size`, width x height) named by their keys."""
        ...
