"""The local backend: trains on the worker's CPU, stores its head in S3, detects in-process.

Training happens inside `train` (a minute or two), so the handle it returns is already
TRAINING_COMPLETED. Evaluation follows Rekognition's auto-split: 20 % of the labeled images are
held out, a model trained on the rest is scored on them, then the final model is trained on all.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable, Sequence

import numpy as np

from shared.models.backend import RUNNING, STOPPED, TRAINING_COMPLETED, Handle, Metrics, TrainingState
from shared.models.dataset import Dataset
from shared.detections import Detections
from shared.models.local.base import BaseModel, load_base
from shared.models.local.concept import image_features
from shared.models.local.detector import LocalDetector
from shared.models.local.head import Head, fit_mlp
from shared.models.local.trainer import LabeledImage, train_head
from shared.models.metrics import Truth, evaluate
from shared.storage import Storage

#: Loads an image (BGR) named by a dataset item's source-ref.
LoadImage = Callable[[str], np.ndarray]
TEST_FRACTION = 0.2


def split(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Rekognition-style auto-split: a fixed 20 % of the images for testing (at least one)."""
    order = np.random.default_rng(seed).permutation(n)
    k = max(1, int(round(n * TEST_FRACTION))) if n > 1 else 0
    return np.sort(order[k:]), np.sort(order[:k])


class LocalBackend:
    name = "local"
    reads_bucket = False  # detect takes decoded frames

    def __init__(self, storage: Storage, load_image: LoadImage, base: BaseModel | None = None) -> None:
        self.storage = storage
        self.load_image = load_image
        self._base = base
        self._loaded: dict[str, Any] = {}
        self._lock = threading.Lock()

    @property
    def base(self) -> BaseModel:
        return self._base or load_base()

    # -- training ----------------------------------------------------------------------------
    def train(self, model: str, version: str, dataset: Dataset, manifest_key: str,
                       output_prefix: str) -> Handle:
        started = time.perf_counter()
        images = [self.load_image(item.source_ref) for item in dataset.items]
        train_idx, test_idx = split(len(images))
        fit = self._fit_objects if dataset.type == "object" else self._fit_concepts
        score = self._score_objects if dataset.type == "object" else self._score_concepts
        held_out = fit(dataset, images, train_idx)
        metrics = score(held_out, dataset, images, test_idx)
        final = fit(dataset, images, np.arange(len(images)))
        key = f"{output_prefix.rstrip('/')}/head.npz"
        self.storage.put_bytes(key, final.to_bytes())
        seconds = round(time.perf_counter() - started, 2)
        metrics.extra.update({"training_seconds": seconds, "base": self.base.name, "train_images": len(train_idx)})
        self.storage.put_json(f"{output_prefix.rstrip('/')}/evaluation.json", metrics.to_dict())
        return {"backend": "local", "type": dataset.type, "artifact": key, "evaluation": metrics.to_dict(),
                "training_seconds": seconds}

    def _fit_objects(self, dataset: Dataset, images: Sequence[np.ndarray], idx: np.ndarray) -> Head:
        labeled = [LabeledImage(images[i], [(b.label, b.xyxy) for b in dataset.items[i].boxes]) for i in idx]
        head = train_head(labeled, dataset.labels, self.base, synthetic=max(200, 8 * len(labeled)))
        return head

    def _fit_concepts(self, dataset: Dataset, images: Sequence[np.ndarray], idx: np.ndarray) -> Head:
        index = {label: i for i, label in enumerate(dataset.labels)}
        x = np.stack([image_features(images[i], self.base) for i in idx])
        y = np.array([index[dataset.items[i].labels[0]] for i in idx])
        params = fit_mlp(x, y, len(dataset.labels) + 1, hidden=64, epochs=200)
        return Head(dataset.labels, params, self.base.name, kind="concept")

    def _score_objects(self, head: Head, dataset: Dataset, images: Sequence[np.ndarray], idx: np.ndarray) -> Metrics:
        detector = LocalDetector(head, self.base)
        preds = [detector.detect(images[i], 0.5) for i in idx]
        truths = [Truth([b.label for b in dataset.items[i].boxes],
                        np.array([b.xyxy for b in dataset.items[i].boxes], np.float32).reshape(-1, 4),
                        images[i].shape[1]) for i in idx]
        metrics = _metrics(evaluate(preds, truths, dataset.labels), len(idx))
        metrics.extra["misses"] = _misses(dataset, idx, preds, self.storage.bucket)
        return metrics

    def _score_concepts(self, head: Head, dataset: Dataset, images: Sequence[np.ndarray], idx: np.ndarray) -> Metrics:
        preds = [self._concept_detect(head, images[i], 0.5) for i in idx]
        truths = [Truth(list(dataset.items[i].labels), np.zeros((0, 4), np.float32), images[i].shape[1]) for i in idx]
        metrics = _metrics(evaluate(preds, truths, dataset.labels), len(idx))
        metrics.extra.clear()  # sizes and IoU mean nothing without boxes
        return metrics

    def training_state(self, handle: Handle) -> TrainingState:
        return TrainingState(TRAINING_COMPLETED)

    def evaluation(self, handle: Handle) -> Metrics:
        e = handle["evaluation"]
        return Metrics(f1=e["f1"], precision=e["precision"], recall=e["recall"], threshold=e["threshold"],
                       test_images=e["test_images"], per_label=e["per_label"], extra=e.get("extra", {}))

    # -- running -----------------------------------------------------------------------------
    def start(self, handle: Handle, min_inference_units: int = 1) -> str:
        self._head(handle)
        return RUNNING

    def status(self, handle: Handle) -> str:
        return RUNNING if handle["artifact"] in self._loaded else STOPPED

    def ready(self, handle: Handle) -> bool:
        """Always: a local model loads on first use in whichever worker detects."""
        self._head(handle)
        return True

    def stop(self, handle: Handle) -> str:
        with self._lock:
            self._loaded.pop(handle["artifact"], None)
        return STOPPED

    def _head(self, handle: Handle) -> Head:
        with self._lock:
            if handle["artifact"] not in self._loaded:
                self._loaded[handle["artifact"]] = Head.from_bytes(self.storage.get_bytes(handle["artifact"]))
            return self._loaded[handle["artifact"]]

    def detect(self, handle: Handle, images: Sequence[np.ndarray], min_confidence: float = 0.5) -> list[Detections]:
        head = self._head(handle)
        if head.kind == "concept":
            return [self._concept_detect(head, image, min_confidence) for image in images]
        detector = LocalDetector(head, self.base)
        return [detector.detect(image, min_confidence) for image in images]

    def _concept_detect(self, head: Head, image: np.ndarray, min_confidence: float) -> Detections:
        probs = head.probabilities(image_features(image, self.base)[None])[0, :len(head.labels)]
        keep = np.nonzero(probs >= min_confidence)[0]
        return Detections(np.full((len(keep), 4), np.nan, np.float32), probs[keep],
                          np.array(head.labels, object)[keep], (image.shape[1], image.shape[0]))


def _misses(dataset: Dataset, idx: np.ndarray, preds: Sequence[Detections], bucket: str,
            limit: int = 6) -> list[dict[str, Any]]:
    """A few held-out images the model got wrong, for the Models page: what it missed, what it
    reported that is not there."""
    out = []
    for i, det in zip(idx, preds):
        truth, found = {b.label for b in dataset.items[i].boxes}, set(det.labels)
        ref = dataset.items[i].source_ref
        if truth != found and ref.startswith(f"s3://{bucket}/"):
            out.append({"key": ref[len(f"s3://{bucket}/"):], "missed": sorted(truth - found),
                        "false": sorted(found - truth)})
        if len(out) >= limit:
            break
    return out


def _metrics(report: Any, n: int) -> Metrics:
    return Metrics(f1=report.presence["f1"], precision=report.presence["precision"],
                   recall=report.presence["recall"], threshold=0.5, test_images=n,
                   per_label={k: dict(v) for k, v in report.per_label.items()},  # with tp/fp/fn: the CLI and
                   # the Models page tell "no held-out example" from a perfect recall
                   extra={"recall_by_size": report.recall_by_size, "mean_iou": report.mean_iou})

