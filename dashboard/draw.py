"""A frame with its detections drawn on it, for the Results scrubber and model misses."""

from __future__ import annotations

from typing import Any, Iterable

import cv2
import numpy as np


def hex_to_bgr(colour: str) -> tuple[int, int, int]:
    c = colour.lstrip("#")
    r, g, b = (int(c[i:i + 2], 16) for i in (0, 2, 4))
    return b, g, r


def draw_labels(jpeg: bytes, labels: Iterable[dict[str, Any]], colours: dict[str, str]) -> np.ndarray:
    """Boxes (fractions of the frame, as in the report) with `label 0.93` tags; returns RGB."""
    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    h, w = image.shape[:2]
    thick = max(2, w // 400)
    for lab in labels:
        box = lab.get("box")
        if not box:
            continue
        colour = hex_to_bgr(colours.get(lab["label"], "#ffffff"))
        x0, y0 = int(box["left"] * w), int(box["top"] * h)
        x1, y1 = int((box["left"] + box["width"]) * w), int((box["top"] + box["height"]) * h)
        cv2.rectangle(image, (x0, y0), (x1, y1), colour, thick)
        text = f"{lab['label']} {lab['confidence']:.2f}"
        scale = max(0.5, w / 1600)
        (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
        ty = max(th + base, y0)
        cv2.rectangle(image, (x0, ty - th - base), (x0 + tw + 4, ty), colour, -1)
        cv2.putText(image, text, (x0 + 2, ty - base), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 1, cv2.LINE_AA)
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
