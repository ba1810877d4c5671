"""Pre-labels: a trained model's detections on the frames to label, proposed to the person labeling.

Computed once by the label stage (never by the dashboard) and stored per sequence as
`{frame-no: [{label, confidence, left, top, width, height}]}` in pixels, so the Label page only
reads them. Only the labels the task has are proposed; a model that runs elsewhere (Rekognition)
is used only if it is already running: proposing boxes is not worth starting a billed model.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from shared.media.jpegs import JpegFrames
from shared.labeling.task import LabelingTask, prelabels_key
from shared.models.backend import TRAINING_COMPLETED, Backend
from shared.models.store import ModelStore
from shared.storage import Storage

MIN_CONFIDENCE = 0.9  # bench/labeling.py: at 0.5 a proposal cost a delete far more often than it saved a draw


def _images(storage: Storage, keys: list[str]) -> JpegFrames:
    """A sequence's frames (an unreadable one proposes nothing: it is blank)."""
    return JpegFrames(keys, storage.get_bytes, lambda key: np.zeros((8, 8, 3), np.uint8))


def propose(task: LabelingTask, models: ModelStore, backend_for: Callable[[str], Backend],
            storage: Storage) -> list[str]:
    """Write every sequence's proposals; returns warnings (the job goes on without proposals)."""
    ref = task.prelabel
    if ref is None:
        return []
    mv = models.get_version(ref.name, ref.model_version)
    if mv is None or mv.status != TRAINING_COMPLETED or mv.handle is None:
        return [f"pre-labels: model {ref.name} version {ref.model_version} is not trained; no boxes proposed"]
    if mv.type == "concept" and task.kind == "object":
        return [f"pre-labels: model {ref.name} labels whole frames; it cannot propose boxes"]
    backend = backend_for(mv.backend)
    if not backend.ready(mv.handle):
        return [f"pre-labels: model {ref.name} version {ref.model_version} is not running; start it to get "
                "proposed boxes"]
    wanted = set(task.labels)
    for seq in task.sequences:
        keys = [storage.key_of(seq.prefix + f) for f in seq.frames]
        if backend.reads_bucket:
            size = tuple(task.frame_sizes.get(str(seq.seq_no)) or ())
            found = backend.detect_stored(mv.handle, storage.bucket, keys, size, MIN_CONFIDENCE)  # type: ignore[arg-type]
        else:
            found = backend.detect_sequence(mv.handle, _images(storage, keys), MIN_CONFIDENCE)
        out: dict[str, list[dict[str, Any]]] = {}
        for no, det in enumerate(found):
            boxes = []
            for (x0, y0, x1, y1), conf, label in zip(det.xyxy.tolist(), det.confidence.tolist(), det.labels.tolist()):
                if label not in wanted:
                    continue
                if task.kind == "object" and not np.isnan(x0):
                    boxes.append({"label": label, "confidence": round(conf, 4), "left": round(x0, 1),
                                  "top": round(y0, 1), "width": round(x1 - x0, 1), "height": round(y1 - y0, 1)})
                elif task.kind == "concept":
                    boxes.append({"label": label, "confidence": round(conf, 4)})
            out[str(no)] = boxes
        storage.put_json(prelabels_key(task.name, seq.seq_no), out)
    return []


def load(task: LabelingTask, storage: Storage, seq_no: int) -> dict[int, list[dict[str, Any]]]:
    """A sequence's stored proposals (empty where none were made)."""
    key = prelabels_key(task.name, seq_no)
    if not storage.exists(key):
        return {}
    return {int(k): v for k, v in storage.get_json(key).items()}
