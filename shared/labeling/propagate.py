"""Proposals for the next frame: boxes a person drew are carried forward, the model's fill the rest.

As CVAT does for video, a box drawn on one frame of a sequence is proposed on the next one, so
the person corrects instead of redrawing: each box's contents are looked for around where it was
(normalised cross-correlation of grey crops, a window twice its size) and it moves there. A box
whose contents are no longer found (a cut, the logo left) is not proposed. The model's
pre-labels are added where no carried box already is. Plain OpenCV: cheap enough to run as the
page turns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import cv2
import numpy as np

from shared.models.dataset import Box

MIN_MATCH = 0.6  # correlation below this: the contents moved out of view, propose nothing
SAME_PLACE_IOU = 0.3  # a model proposal this close to a carried box is the same mark


@dataclass(frozen=True)
class Proposal:
    box: Box
    origin: str  # "carried" (from the previous frame) or "model" (pre-label)
    score: float  # match correlation, or the model's confidence


def iou(a: Box, b: Box) -> float:
    ax0, ay0, ax1, ay1 = a.xyxy
    bx0, by0, bx1, by1 = b.xyxy
    w, h = max(0.0, min(ax1, bx1) - max(ax0, bx0)), max(0.0, min(ay1, by1) - max(ay0, by0))
    inter = w * h
    union = a.width * a.height + b.width * b.height - inter
    return inter / union if union > 0 else 0.0


def _grey(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image


def carry(previous: np.ndarray, following: np.ndarray, boxes: Sequence[Box]) -> list[Proposal]:
    """Each box of `previous`, moved to where its contents are in `following` (if they still are)."""
    if previous.shape[:2] != following.shape[:2]:
        return []
    src, dst = _grey(previous), _grey(following)
    H, W = dst.shape
    out = []
    for b in boxes:
        x0, y0 = int(round(max(0.0, b.left))), int(round(max(0.0, b.top)))
        x1, y1 = int(round(min(W, b.left + b.width))), int(round(min(H, b.top + b.height)))
        if x1 - x0 < 4 or y1 - y0 < 4:
            continue
        template = src[y0:y1, x0:x1]
        pad_x, pad_y = x1 - x0, y1 - y0
        wx0, wy0, wx1, wy1 = max(0, x0 - pad_x), max(0, y0 - pad_y), min(W, x1 + pad_x), min(H, y1 + pad_y)
        window = dst[wy0:wy1, wx0:wx1]
        if window.shape[0] < template.shape[0] or window.shape[1] < template.shape[1]:
            continue
        if float(template.std()) < 2.0:  # a flat patch matches anywhere
            continue
        scores = cv2.matchTemplate(window, template, cv2.TM_CCOEFF_NORMED)
        _, best, _, (mx, my) = cv2.minMaxLoc(scores)
        if best < MIN_MATCH:
            continue
        dx, dy = wx0 + mx - x0, wy0 + my - y0
        out.append(Proposal(Box(b.label, b.left + dx, b.top + dy, b.width, b.height), "carried", round(float(best), 3)))
    return out


def inside(a: Box, b: Box) -> float:
    """How much of `a` lies inside `b` (0..1)."""
    ax0, ay0, ax1, ay1 = a.xyxy
    bx0, by0, bx1, by1 = b.xyxy
    inter = max(0.0, min(ax1, bx1) - max(ax0, bx0)) * max(0.0, min(ay1, by1) - max(ay0, by0))
    return inter / (a.width * a.height) if a.width * a.height > 0 else 0.0


def merge(carried: Sequence[Proposal], model: Sequence[dict[str, Any]], labels: Sequence[str],
          rejected: Sequence[Proposal] = ()) -> list[Proposal]:
    """Carried boxes first (a person chose their label); the model's where none of them is, and
    where the person did not delete the same proposal on the frame before (`rejected`, carried
    here like their boxes): a false alarm on a sign in the background is refused once, not on
    every frame it stays in view."""
    out = list(carried)
    for p in sorted(model, key=lambda p: -float(p.get("confidence", 0.0))):  # of two on one mark, the surer
        if p.get("label") not in labels or "left" not in p:
            continue
        box = Box(p["label"], float(p["left"]), float(p["top"]), float(p["width"]), float(p["height"]))
        if any(iou(box, c.box) >= SAME_PLACE_IOU or max(inside(box, c.box), inside(c.box, box)) >= 0.5 for c in out):
            continue
        if any(iou(box, r.box) >= SAME_PLACE_IOU for r in rejected):
            continue
        out.append(Proposal(box, "model", float(p.get("confidence", 0.0))))
    return out
