"""`Detections`: the one type every backend's output becomes (supervision-style, numpy fields).

Boxes are pixel `xyxy` of the image they were found in; `image_size` says which. Rekognition's
DetectCustomLabels shape (fractions of the frame, `Left/Top/Width/Height`) comes in through
`from_rekognition` and goes out through `to_rekognition`. Concept-mode results have no boxes
(`xyxy` is NaN) and produce no `Geometry`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np


def xyxy_to_ltwh_rel(xyxy: np.ndarray, width: int, height: int) -> np.ndarray:
    """Pixel corners -> Rekognition's relative Left, Top, Width, Height (0..1)."""
    x0, y0, x1, y1 = (xyxy[:, i] for i in range(4))
    return np.stack([x0 / width, y0 / height, (x1 - x0) / width, (y1 - y0) / height], axis=1)


def ltwh_rel_to_xyxy(ltwh: np.ndarray, width: int, height: int) -> np.ndarray:
    left, top, w, h = (ltwh[:, i] for i in range(4))
    return np.stack([left * width, top * height, (left + w) * width, (top + h) * height], axis=1)


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU matrix between two sets of xyxy boxes, (len(a), len(b))."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)), np.float32)
    tl = np.maximum(a[:, None, :2], b[None, :, :2])
    br = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.clip(br - tl, 0, None).prod(axis=2)
    area_a = (a[:, 2:] - a[:, :2]).clip(0).prod(axis=1)
    area_b = (b[:, 2:] - b[:, :2]).clip(0).prod(axis=1)
    return inter / np.maximum(area_a[:, None] + area_b[None, :] - inter, 1e-9)


@dataclass
class Detections:
    xyxy: np.ndarray  # (n, 4) float32 pixels; NaN for concept labels
    confidence: np.ndarray  # (n,) float32, 0..1
    labels: np.ndarray  # (n,) object (str)
    image_size: tuple[int, int] = (0, 0)  # (width, height)
    data: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.xyxy = np.asarray(self.xyxy, np.float32).reshape(-1, 4)
        self.confidence = np.asarray(self.confidence, np.float32).reshape(-1)
        self.labels = np.asarray(self.labels, dtype=object).reshape(-1)
        n = len(self.xyxy)
        if len(self.confidence) != n or len(self.labels) != n:
            raise ValueError(f"Detections fields disagree: {n} boxes, {len(self.confidence)} scores, "
                             f"{len(self.labels)} labels")
        for key, value in self.data.items():
            if len(value) != n:
                raise ValueError(f"Detections.data[{key!r}] has {len(value)} rows, not {n}")

    @classmethod
    def empty(cls, image_size: tuple[int, int] = (0, 0)) -> Detections:
        return cls(np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros(0, object), image_size)

    def __len__(self) -> int:
        return len(self.xyxy)

    def __getitem__(self, index: Any) -> Detections:
        if isinstance(index, (int, np.integer)):
            index = [int(index)]
        return Detections(self.xyxy[index], self.confidence[index], self.labels[index], self.image_size,
                          {k: v[index] for k, v in self.data.items()})

    @property
    def has_boxes(self) -> np.ndarray:
        return ~np.isnan(self.xyxy).any(axis=1)

    @classmethod
    def joined(cls, parts: Sequence[Detections]) -> Detections:
        """One frame's detections from several sources, in order (the first one's image size; no `data`)."""
        return cls(np.concatenate([p.xyxy for p in parts]), np.concatenate([p.confidence for p in parts]),
                   np.concatenate([p.labels for p in parts]), parts[0].image_size)

    def with_nms(self, iou: float = 0.5, class_agnostic: bool = False) -> Detections:
        """Greedy non-maximum suppression, per label unless `class_agnostic`. A box is suppressed
        only by more confident ones (ties in their order here), so dropping the boxes below a
        confidence before or after it gives the same boxes."""
        if len(self) == 0:
            return self
        order = np.argsort(-self.confidence, kind="stable")
        keep: list[int] = []
        ious = box_iou(self.xyxy, self.xyxy)
        suppressed = np.zeros(len(self), bool)
        for i in order:
            if suppressed[i]:
                continue
            keep.append(int(i))
            same = np.ones(len(self), bool) if class_agnostic else self.labels == self.labels[i]
            suppressed |= (ious[i] > iou) & same
        return self[np.array(keep)]

    # -- Rekognition's shape ------------------------------------------------------------------
    @classmethod
    def from_rekognition(cls, response: dict[str, Any], width: int, height: int) -> Detections:
        labels = response.get("CustomLabels", [])
        boxes = []
        for item in labels:
            bb = (item.get("Geometry") or {}).get("BoundingBox")
            boxes.append([bb["Left"], bb["Top"], bb["Width"], bb["Height"]] if bb else [np.nan] * 4)
        ltwh = np.array(boxes, np.float32).reshape(-1, 4)
        return cls(ltwh_rel_to_xyxy(ltwh, width, height), [i["Confidence"] / 100 for i in labels],
                   [i["Name"] for i in labels], (width, height))

    def to_rekognition(self) -> dict[str, Any]:
        """`{"CustomLabels": [{Name, Confidence 0-100, Geometry.BoundingBox}]}`, boxes as fractions."""
        w, h = self.image_size
        rel = xyxy_to_ltwh_rel(np.nan_to_num(self.xyxy), w, h) if len(self) else np.zeros((0, 4))
        out = []
        for i in np.argsort(-self.confidence):
            item: dict[str, Any] = {"Name": str(self.labels[i]), "Confidence": round(float(self.confidence[i]) * 100, 3)}
            if self.has_boxes[i]:
                left, top, bw, bh = (float(np.clip(v, 0, 1)) for v in rel[i])
                item["Geometry"] = {"BoundingBox": {"Left": round(left, 6), "Top": round(top, 6),
                                                    "Width": round(min(bw, 1 - left), 6),
                                                    "Height": round(min(bh, 1 - top), 6)}}
            out.append(item)
        return {"CustomLabels": out}
