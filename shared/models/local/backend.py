"""The local backend: trains on the worker's CPU, stores its head in S3, detects in-process.

Training happens inside `train` (a minute or two), so the handle it returns is already
TRAINING_COMPLETED. Evaluation follows Rekognition's auto-split: 20 % of the labeled images are
held out, a model trained on the rest is scored on them, then the final model is trained on all.
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, Sequence

import numpy as np

from shared.models.backend import RUNNING, STOPPED, TRAINING_COMPLETED, Handle, Metrics, TrainingState
from shared.models.dataset import Dataset
from shared.detections import Detections
from shared.models.local.base import BaseModel, load_base
from shared.models.local.concept import image_features
from shared.models.local.detector import LocalDetector, Scored
from shared.models.local.head import Candidates, Head, fit_mlp
from shared.models.local.reading import Fusion, learn_signatures
from shared.models.local.follow import SEED, follow, head_prior, with_followed
from shared.models.local.tracks import carry_identity
from shared.models.local.trainer import LabeledImage, train_head
from shared.models.text.finder import load_finder
from shared.models.text.spotting import ReadLine, brands_in_lines
from shared.models.text.match import TextSignatures, summary
from shared.models.text.reader import load_reader
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

    def __init__(self, storage: Storage, load_image: LoadImage, base: BaseModel | None = None,
                 tracks: bool = True, weighing: bool = True) -> None:
        self.storage = storage
        self.load_image = load_image
        self._base = base
        self.tracks = tracks  # detect_sequence: carry identity along tracks, follow marks onto frames that lost them
        self.fusion = Fusion(weighing=weighing)
        self._loaded: dict[str, Any] = {}
        self._lock = threading.Lock()

    @property
    def base(self) -> BaseModel:
        return self._base or load_base()

    # -- training ----------------------------------------------------------------------------
    def train(self, model: str, version: str, dataset: Dataset, manifest_key: str, output_prefix: str,
              words: dict[str, str] | None = None) -> Handle:
        """Head (and, for object models, what each label reads as: `words` set by the user win)."""
        started = time.perf_counter()
        out = output_prefix.rstrip("/")
        if dataset.type == "text":
            return self._train_text(dataset, out, words or {}, started)
        images = [self.load_image(item.source_ref) for item in dataset.items]
        train_idx, test_idx = split(len(images))
        fit = self._fit_objects if dataset.type == "object" else self._fit_concepts
        score = self._score_objects if dataset.type == "object" else self._score_concepts
        held_out = fit(dataset, images, train_idx, words or {})
        metrics = score(held_out, dataset, images, test_idx)
        final = fit(dataset, images, np.arange(len(images)), words or {})
        handle: Handle = {"backend": "local", "type": dataset.type, "artifact": f"{out}/head.npz"}
        self.storage.put_bytes(handle["artifact"], final.head.to_bytes())
        if final.text is not None:
            handle.update(self._save_text(final.text, dataset.labels, out))
        seconds = round(time.perf_counter() - started, 2)
        metrics.extra.update({"training_seconds": seconds, "base": self.base.name, "train_images": len(train_idx)})
        self.storage.put_json(f"{out}/evaluation.json", metrics.to_dict())
        return {**handle, "evaluation": metrics.to_dict(), "training_seconds": seconds}

    def _train_text(self, dataset: Dataset, out: str, words: dict[str, str], started: float) -> Handle:
        """A model from brand names alone: each label reads as its words (or its own name)."""
        text = TextSignatures().with_user_words({label: words.get(label) or label for label in dataset.labels})
        metrics = Metrics(f1=0.0, precision=0.0, recall=0.0, threshold=0.5, test_images=0,
                          extra={"note": "text-only: nothing labeled to hold out"})
        return {"backend": "local", "type": "text", **self._save_text(text, dataset.labels, out),
                "evaluation": metrics.to_dict(), "training_seconds": round(time.perf_counter() - started, 2)}

    def _save_text(self, text: TextSignatures, labels: Sequence[str], out: str) -> Handle:
        key = f"{out}/text.json"
        self.storage.put_json(key, text.to_dict())
        return {"text": key, "texts": summary(text, labels)}

    def retext(self, handle: Handle, labels: Sequence[str], words: dict[str, str], output_prefix: str) -> Handle:
        """The same head, with what some labels read as set by the user (a new version, no training)."""
        old = self._model(handle).text or TextSignatures()
        return {**handle, **self._save_text(old.with_user_words(words), labels, output_prefix.rstrip("/"))}

    def _fit_objects(self, dataset: Dataset, images: Sequence[np.ndarray], idx: np.ndarray,
                     words: dict[str, str]) -> LocalModel:
        labeled = [LabeledImage(images[i], [(b.label, b.xyxy) for b in dataset.items[i].boxes]) for i in idx]
        model = fit_object_model(labeled, dataset.labels, self.base)
        return LocalModel(model.head, model.text.with_user_words(words) if model.text is not None else None)

    def _fit_concepts(self, dataset: Dataset, images: Sequence[np.ndarray], idx: np.ndarray,
                      words: dict[str, str]) -> LocalModel:
        index = {label: i for i, label in enumerate(dataset.labels)}
        x = np.stack([image_features(images[i], self.base) for i in idx])
        y = np.array([index[dataset.items[i].labels[0]] for i in idx])
        params = fit_mlp(x, y, len(dataset.labels) + 1, hidden=64, epochs=200)
        return LocalModel(Head(dataset.labels, params, self.base.name, kind="concept"))

    def _score_objects(self, model: LocalModel, dataset: Dataset, images: Sequence[np.ndarray],
                       idx: np.ndarray) -> Metrics:
        detector = self._detector(model)
        preds = [detector.detect(images[i], 0.5) for i in idx]
        truths = [Truth([b.label for b in dataset.items[i].boxes],
                        np.array([b.xyxy for b in dataset.items[i].boxes], np.float32).reshape(-1, 4),
                        images[i].shape[1]) for i in idx]
        metrics = _metrics(evaluate(preds, truths, dataset.labels), len(idx))
        metrics.extra["misses"] = _misses(dataset, idx, preds, self.storage.bucket)
        return metrics

    def _score_concepts(self, model: LocalModel, dataset: Dataset, images: Sequence[np.ndarray],
                        idx: np.ndarray) -> Metrics:
        assert model.head is not None
        preds = [self._concept_detect(model.head, images[i], 0.5) for i in idx]
        truths = [Truth(list(dataset.items[i].labels), np.zeros((0, 4), np.float32), images[i].shape[1]) for i in idx]
        metrics = _metrics(evaluate(preds, truths, dataset.labels), len(idx))
        metrics.extra.clear()  # sizes and IoU mean nothing without boxes
        return metrics

    def training_state(self, handle: Handle) -> TrainingState:
        return TrainingState(TRAINING_COMPLETED)

    def evaluation(self, handle: Handle) -> Metrics:
        return Metrics.from_dict(handle["evaluation"])

    # -- running -----------------------------------------------------------------------------
    def start(self, handle: Handle, min_inference_units: int = 1) -> str:
        self._model(handle)
        return RUNNING

    def status(self, handle: Handle) -> str:
        return RUNNING if _key(handle) in self._loaded else STOPPED

    def ready(self, handle: Handle) -> bool:
        """Always: a local model loads on first use in whichever worker detects."""
        self._model(handle)
        return True

    def stop(self, handle: Handle) -> str:
        with self._lock:
            self._loaded.pop(_key(handle), None)
        return STOPPED

    def _model(self, handle: Handle) -> LocalModel:
        key = _key(handle)
        with self._lock:
            if key not in self._loaded:
                head = Head.from_bytes(self.storage.get_bytes(handle["artifact"])) if handle.get("artifact") else None
                text = TextSignatures.from_dict(self.storage.get_json(handle["text"])) if handle.get("text") else None
                self._loaded[key] = LocalModel(head, text)
            return self._loaded[key]

    def _detector(self, model: LocalModel) -> LocalDetector:
        assert model.head is not None
        text = model.text if model.text else None
        return LocalDetector(model.head, load_base(model.head.base) if self._base is None else self.base, text,
                             load_reader() if text else None, self.fusion)

    def detect(self, handle: Handle, images: Sequence[np.ndarray], min_confidence: float = 0.5) -> list[Detections]:
        model = self._model(handle)
        if model.head is None:
            assert model.text is not None
            return [self._read_brands(model.text, image, min_confidence) for image in images]
        if model.head.kind == "concept":
            return [self._concept_detect(model.head, image, min_confidence) for image in images]
        return self._detector(model).detect_many(images, min_confidence)

    @staticmethod
    def _read_brands(text: TextSignatures, image: np.ndarray, min_confidence: float) -> Detections:
        """Text-only models: every line of text found and read, matched to the brands' words."""
        lines = load_finder().find(image)
        readings = load_reader().read([line.crop for line in lines]) if lines else []
        read = [ReadLine(line.xyxy, r) for line, r in zip(lines, readings)]
        return brands_in_lines(read, text, (image.shape[1], image.shape[0]), min_confidence)

    def sequential(self, handle: Handle) -> bool:
        """Whether `detect_sequence` looks across frames (so a segment's detection gains from the
        next segment's first frames): object models with text, tracks on."""
        model = self._model(handle)
        return self.tracks and model.head is not None and model.head.kind != "concept" and model.text is not None

    def detect_sequence(self, handle: Handle, images: Iterable[np.ndarray], min_confidence: float = 0.5,
                        batch: int = 8, followed_only: int = 0) -> list[Detections]:
        """The sampled frames of one segment, in order: detected in batches, then (object models
        with text) each mark's identity carried along its track (shared/models/local/tracks.py)
        and each mark followed onto the neighbouring frames that lost it (follow.py: it looks
        back at frames, so pass a Sequence that decodes on demand, e.g. shared.media.jpegs). The
        last `followed_only` frames are not detected, only followed into (the seam's far side:
        the next segment detects them)."""
        model = self._model(handle)
        if model.head is None or model.head.kind == "concept":
            return [d for chunk in _chunks(images, batch) for d in self.detect(handle, chunk, min_confidence)]
        detector = self._detector(model)
        frames = images if isinstance(images, Sequence) else list(images)
        detected = len(frames) - followed_only  # islice, not a slice: a slice of stored JPEGs decodes them all at once
        scored = [s for chunk in _chunks(itertools.islice(frames, detected), batch) for s in detector.score_many(chunk)]
        if detected < len(frames):
            size = scored[0].size if scored else frames[0].shape[1::-1]  # a frame decoded only where none was
            scored += [unseen(size, len(detector.labels)) for _ in range(len(frames) - detected)]
        if not self.tracks or detector.text is None:
            return [detector.finish(s, min_confidence) for s in scored]
        carry_identity(scored, model.head.labels, detector.text_labels)
        found = [detector.finish(s, min(min_confidence, SEED)) for s in scored]
        followed = follow(found, frames, detector.reread, detector.text, head_prior(scored, model.head.labels))
        return [with_followed(d[d.confidence >= min_confidence], more, min_confidence)
                for d, more in zip(found, followed)]

    def _concept_detect(self, head: Head, image: np.ndarray, min_confidence: float) -> Detections:
        probs = head.probabilities(image_features(image, self.base)[None])[0, :len(head.labels)]
        keep = np.nonzero(probs >= min_confidence)[0]
        return Detections(np.full((len(keep), 4), np.nan, np.float32), probs[keep],
                          np.array(head.labels, object)[keep], (image.shape[1], image.shape[0]))


@dataclass
class LocalModel:
    """What a local model version runs with: its head (none for text-only models) and what its
    labels read as (none for concept models, or when no label reads as a word)."""

    head: Head | None = None
    text: TextSignatures | None = None


def fit_object_model(labeled: Sequence[LabeledImage], labels: Sequence[str], base: BaseModel) -> LocalModel:
    """What an object model is: its head, then what each label reads as (the benches train this too)."""
    head = train_head(labeled, labels, base, synthetic=max(200, 8 * len(labeled)))
    return LocalModel(head, learn_signatures([(x.image, x.boxes) for x in labeled], labels, base, load_reader()))


def unseen(size: tuple[int, int], n_labels: int) -> Scored:
    """A frame not detected (no candidate): following may still find a mark on it."""
    cand = Candidates(np.zeros((0, 2), int), np.zeros(0, np.float32), np.zeros((0, 0), np.float32),
                      np.zeros((0, 4), np.float32))
    return Scored(cand, np.zeros((0, n_labels)), (int(size[0]), int(size[1])))


def _chunks(images: Iterable[np.ndarray], size: int) -> Iterator[list[np.ndarray]]:
    chunk: list[np.ndarray] = []
    for image in images:
        chunk.append(image)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _key(handle: Handle) -> str:
    return f"{handle.get('artifact', '')}|{handle.get('text', '')}"


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

