"""Finding lines of text in a whole frame with PP-OCR's detection model (DB), on the CPU.

The model file comes from the `rapidocr` wheel like the recogniser's. Post-processing follows
PP-OCR's DB rules (probability map > 0.3, region score > 0.5, each region's rotated rectangle
grown by area x 1.6 / perimeter) with OpenCV alone; each line comes back as its axis-aligned box
in frame pixels and an upright crop (the rotated rectangle warped flat) for the recogniser.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

from shared.models.text.reader import DET_MODEL, model_path, session
from shared.models.threads import model_threads

THRESH, BOX_THRESH, UNCLIP = 0.3, 0.5, 1.6
MIN_SIDE = 3
MAX_HEIGHT = 0.4  # a "line" taller than this share of the frame is not one


@dataclass
class Line:
    xyxy: tuple[float, float, float, float]  # frame pixels
    score: float  # mean text probability inside
    crop: np.ndarray  # upright BGR crop for the recogniser


class TextFinder:
    def __init__(self, threads: int = 0, max_side: int = 960) -> None:
        self.session = session(model_path(DET_MODEL), threads or model_threads(min(2, os.cpu_count() or 1)))
        self.input = self.session.get_inputs()[0].name
        self.max_side = max_side
        self._lock = threading.Lock()

    def find(self, image: np.ndarray) -> list[Line]:
        h, w = image.shape[:2]
        ratio = min(1.0, self.max_side / max(h, w))
        rh, rw = max(32, int(round(h * ratio / 32)) * 32), max(32, int(round(w * ratio / 32)) * 32)
        x = cv2.resize(image, (rw, rh)).astype(np.float32)
        tensor = ((x / 255.0 - 0.5) / 0.5).transpose(2, 0, 1)[None]
        with self._lock:
            prob = self.session.run(None, {self.input: tensor})[0][0, 0]
        sx, sy = w / rw, h / rh
        contours, _ = cv2.findContours((prob > THRESH).astype(np.uint8), cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
        lines = []
        for contour in contours[:1000]:
            rect = cv2.minAreaRect(contour)
            if min(rect[1]) < MIN_SIDE:
                continue
            score = _mean_inside(prob, contour)
            if score < BOX_THRESH:
                continue
            (cx, cy), (rw_, rh_), angle = rect
            grow = rw_ * rh_ * UNCLIP / max(1e-6, 2 * (rw_ + rh_))
            pts = cv2.boxPoints(((cx, cy), (rw_ + 2 * grow, rh_ + 2 * grow), angle)) * [sx, sy]
            x0, y0 = np.clip(pts.min(axis=0), 0, [w, h])
            x1, y1 = np.clip(pts.max(axis=0), 0, [w, h])
            if x1 - x0 < MIN_SIDE or y1 - y0 < MIN_SIDE or y1 - y0 > MAX_HEIGHT * h:
                continue  # a stripe of the scene, not a line of text
            lines.append(Line((float(x0), float(y0), float(x1), float(y1)), score, _upright(image, pts)))
        return lines


def _mean_inside(prob: np.ndarray, contour: np.ndarray) -> float:
    x, y, w, h = cv2.boundingRect(contour)
    mask = np.zeros((h, w), np.uint8)
    cv2.fillPoly(mask, [contour.reshape(-1, 2) - [x, y]], 1)
    return float(cv2.mean(prob[y:y + h, x:x + w], mask)[0])


def _upright(image: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """The rotated rectangle warped flat, longer side horizontal (as PP-OCR crops its lines)."""
    s = pts.sum(axis=1)
    d = np.diff(pts, axis=1).ravel()
    tl, br, tr, bl = pts[np.argmin(s)], pts[np.argmax(s)], pts[np.argmin(d)], pts[np.argmax(d)]
    w = int(max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl)))
    h = int(max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr)))
    w, h = max(w, 2), max(h, 2)
    m = cv2.getPerspectiveTransform(np.float32([tl, tr, br, bl]), np.float32([[0, 0], [w, 0], [w, h], [0, h]]))
    out = cv2.warpPerspective(image, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return np.rot90(out) if h > 1.5 * w else out


@lru_cache(maxsize=1)
def load_finder() -> TextFinder:
    return TextFinder()
