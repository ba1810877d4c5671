"""Local object detection: base-model peaks -> the user's head -> boxes with labels."""

from __future__ import annotations

import numpy as np

from shared.detections import Detections
from shared.models.local.base import BaseModel, load_base
from shared.models.local.head import OTHER, Head, candidates


def suppress_inside(det: Detections) -> Detections:
    """One logo often gives several peaks (a wordmark's letters): keep the best box per logo,
    dropping same-label boxes whose centre lies inside a better one."""
    if len(det) < 2:
        return det
    order = np.argsort(-det.confidence)
    keep: list[int] = []
    for i in order:
        cx, cy = (det.xyxy[i, 0] + det.xyxy[i, 2]) / 2, (det.xyxy[i, 1] + det.xyxy[i, 3]) / 2
        if any(det.labels[k] == det.labels[i] and det.xyxy[k, 0] <= cx <= det.xyxy[k, 2]
               and det.xyxy[k, 1] <= cy <= det.xyxy[k, 3] for k in keep):
            continue
        keep.append(int(i))
    return det[np.array(keep)]


class LocalDetector:
    def __init__(self, head: Head, base: BaseModel | None = None) -> None:
        self.head = head
        self.base = base or load_base(head.base)
        self.labels = np.array(head.labels + [OTHER], dtype=object)

    def detect(self, image: np.ndarray, min_confidence: float = 0.5) -> Detections:
        maps = self.base.run(image)
        cand = candidates(maps, self.head.min_heat)
        size = (image.shape[1], image.shape[0])
        if len(cand.cells) == 0:
            return Detections.empty(size)
        probs = self.head.probabilities(cand.features)[:, :len(self.head.labels)]
        cls = probs.argmax(axis=1)
        conf = probs[np.arange(len(cls)), cls]
        keep = conf >= min_confidence
        det = Detections(cand.xyxy[keep], conf[keep], self.labels[cls[keep]], size)
        return suppress_inside(det.with_nms(0.4))
