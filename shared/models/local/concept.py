"""Concept mode (a label for the whole frame: "stadium", "studio"): colour layout + the base
model's scene vector, classified by the same small MLP as object mode."""

from __future__ import annotations

import cv2
import numpy as np

from shared.models.local.base import BaseModel


def image_features(image: np.ndarray, base: BaseModel | None) -> np.ndarray:
    small = cv2.resize(image, (128, 72), interpolation=cv2.INTER_AREA)
    hsv = cv2.cvtColor(small, cv2.COLOR_BGR2HSV)
    hist = cv2.calcHist([hsv], [0, 1, 2], None, [8, 4, 4], [0, 180, 0, 256, 0, 256]).ravel()
    hist = np.sqrt(hist / max(hist.sum(), 1))
    layout = cv2.resize(small, (3, 3), interpolation=cv2.INTER_AREA).astype(np.float32).ravel() / 255
    gray = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY).astype(np.float32)
    edges = [np.abs(np.diff(gray, axis=a)).mean() / 64 for a in (0, 1)]
    parts = [hist, layout, np.array(edges, np.float32)]
    if base is not None:
        parts.append(base.run(image).scene)
    return np.concatenate(parts).astype(np.float32)
