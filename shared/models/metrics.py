"""Scoring detections against ground truth: what the bench prints and models record.

- presence: per (frame, label) pair, "is this brand in this frame?" Precision, recall, F1.
  (Never accuracy: predicting nothing scores high when most pairs are negative.)
- instances: a labeled box is found when a detection of its label overlaps it (IoU >= 0.3 or
  the detection's centre inside it); recall per size bucket by width fraction; mean IoU of the
  found ones.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from shared.detections import Detections, box_iou

BUCKETS = (("<8%", 0.0, 0.08), ("8-15%", 0.08, 0.15), (">15%", 0.15, 1.01))


@dataclass
class Truth:
    labels: list[str]
    xyxy: np.ndarray  # (n, 4) pixels
    width: int

    @property
    def width_fractions(self) -> np.ndarray:
        return (self.xyxy[:, 2] - self.xyxy[:, 0]) / max(self.width, 1)


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0,
            "tp": tp, "fp": fp, "fn": fn}


@dataclass
class Evaluation:
    presence: dict[str, float]
    per_label: dict[str, dict[str, float]]
    recall_by_size: dict[str, float | None]  # None: no labeled box of that size
    instances_by_size: dict[str, int]
    mean_iou: float
    frames: int
    extra: dict[str, float] = field(default_factory=dict)


def evaluate(predictions: Sequence[Detections], truths: Sequence[Truth], labels: Sequence[str]) -> Evaluation:
    tp = fp = fn = 0
    per = defaultdict(lambda: [0, 0, 0])
    found_by = defaultdict(int)
    total_by = defaultdict(int)
    ious = []
    for det, truth in zip(predictions, truths):
        pred = set(det.labels.tolist())
        real = set(truth.labels)
        for label in labels:
            if label in pred and label in real:
                tp += 1
                per[label][0] += 1
            elif label in pred:
                fp += 1
                per[label][1] += 1
            elif label in real:
                fn += 1
                per[label][2] += 1
        if len(truth.labels) == 0:
            continue
        iou = box_iou(truth.xyxy.astype(np.float32), det.xyxy) if len(det) else np.zeros((len(truth.labels), 0))
        cx = (det.xyxy[:, 0] + det.xyxy[:, 2]) / 2
        cy = (det.xyxy[:, 1] + det.xyxy[:, 3]) / 2
        for i, (label, frac) in enumerate(zip(truth.labels, truth.width_fractions)):
            bucket = next(name for name, lo, hi in BUCKETS if lo <= frac < hi)
            total_by[bucket] += 1
            same = det.labels == label
            x0, y0, x1, y1 = truth.xyxy[i]
            inside = same & (cx >= x0) & (cx <= x1) & (cy >= y0) & (cy <= y1)
            best = float(iou[i][same].max()) if same.any() else 0.0
            if best >= 0.3 or inside.any():
                found_by[bucket] += 1
                ious.append(best)
    return Evaluation(
        presence=_prf(tp, fp, fn),
        per_label={label: _prf(*per[label]) for label in labels},
        recall_by_size={name: round(found_by[name] / total_by[name], 4) if total_by[name] else None
                        for name, _, _ in BUCKETS},
        instances_by_size={name: total_by[name] for name, _, _ in BUCKETS},
        mean_iou=round(float(np.mean(ious)), 4) if ious else 0.0,
        frames=len(truths),
    )
