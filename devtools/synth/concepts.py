"""A whole-frame concept benchmark: scene types none of the pretraining backgrounds draw.

Beach, forest, night city, snow and indoor arena, each with wide variation (time of day, camera
tilt, clutter, logos pasted anywhere), then camera damage. A frame has exactly one concept.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from devtools.synth import logos
from shared.models.local import compose

CONCEPTS = ("beach", "forest", "night", "snow", "arena")


def _jitter(color: tuple[int, int, int], rng: np.random.Generator, amount: int = 35) -> tuple[int, int, int]:
    return tuple(int(np.clip(c + rng.integers(-amount, amount + 1), 0, 255)) for c in color)  # type: ignore[return-value]


def _sky(h: int, w: int, top: tuple[int, int, int], bottom: tuple[int, int, int]) -> np.ndarray:
    t = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    return (np.array(top, np.float32) * (1 - t) + np.array(bottom, np.float32) * t).repeat(w, 1).astype(np.uint8)


def scene(concept: str, rng: np.random.Generator, width: int = 640, height: int = 360) -> np.ndarray:
    h, w = height, width
    horizon = int(h * rng.uniform(0.3, 0.65))
    if concept == "beach":
        img = np.zeros((h, w, 3), np.uint8)
        img[:horizon] = _sky(horizon, w, _jitter((235, 190, 120), rng), _jitter((250, 225, 190), rng))
        sea = int(horizon + (h - horizon) * rng.uniform(0.2, 0.5))
        img[horizon:sea] = _sky(sea - horizon, w, _jitter((150, 110, 30), rng), _jitter((190, 160, 60), rng))
        img[sea:] = _sky(h - sea, w, _jitter((150, 200, 225), rng), _jitter((120, 170, 200), rng))
        for _ in range(int(rng.integers(3, 12))):
            y = int(rng.integers(horizon, sea))
            cv2.line(img, (0, y), (w, y + int(rng.integers(-5, 5))), (240, 240, 240), 1, cv2.LINE_AA)
    elif concept == "forest":
        img = _sky(h, w, _jitter((200, 220, 210), rng), _jitter((40, 90, 50), rng))
        for _ in range(int(rng.integers(15, 40))):
            x = int(rng.integers(0, w))
            cv2.rectangle(img, (x, int(rng.integers(0, horizon))), (x + int(rng.integers(4, 18)), h),
                          _jitter((40, 60, 80), rng, 20), -1)
            cv2.circle(img, (x, int(rng.integers(0, horizon + 30))), int(rng.integers(15, 60)),
                       _jitter((40, 120, 50), rng, 40), -1, cv2.LINE_AA)
    elif concept == "night":
        img = _sky(h, w, _jitter((40, 15, 10), rng, 15), _jitter((60, 40, 30), rng, 15))
        x = 0
        while x < w:
            bw, bh = int(rng.integers(30, 120)), int(rng.uniform(0.2, 0.8) * h)
            cv2.rectangle(img, (x, h - bh), (x + bw, h), _jitter((30, 30, 35), rng, 15), -1)
            for _ in range(int(rng.integers(5, 30))):
                wx, wy = int(rng.integers(x, x + bw)), int(rng.integers(h - bh, h))
                cv2.rectangle(img, (wx, wy), (wx + 3, wy + 4), _jitter((80, 200, 240), rng, 40), -1)
            x += bw
    elif concept == "snow":
        img = _sky(h, w, _jitter((210, 200, 190), rng, 25), _jitter((250, 250, 250), rng, 5))
        pts = np.array([[0, horizon]] + [[int(x), int(horizon - rng.uniform(0, 0.3) * h)]
                                         for x in np.linspace(0, w, int(rng.integers(3, 8)))] + [[w, horizon]], np.int32)
        cv2.fillPoly(img, [pts], _jitter((170, 150, 140), rng, 20))
        img[horizon:] = _jitter((245, 245, 245), rng, 8)
        flakes = rng.random((h, w)) < rng.uniform(0.002, 0.01)
        img[flakes] = 255
    else:  # arena: dark hall, coloured court, spotlight cones
        img = _sky(h, w, _jitter((30, 25, 25), rng, 15), _jitter((70, 60, 55), rng, 20))
        court = np.array([[w * 0.1, h], [w * 0.9, h], [w * 0.7, horizon], [w * 0.3, horizon]], np.int32)
        cv2.fillPoly(img, [court], _jitter((60, 110, 190), rng, 50))
        cv2.polylines(img, [court], True, (240, 240, 240), 2, cv2.LINE_AA)
        glow = np.zeros((h, w), np.float32)
        for _ in range(int(rng.integers(2, 5))):
            cv2.circle(glow, (int(rng.integers(0, w)), int(rng.integers(0, horizon))), int(rng.integers(20, 80)), 1.0, -1)
        glow = cv2.GaussianBlur(glow, (0, 0), 25)[..., None]
        img = np.clip(img + glow * 160, 0, 255).astype(np.uint8)
    if rng.random() < 0.5:  # camera tilt
        m = cv2.getRotationMatrix2D((w / 2, h / 2), rng.uniform(-8, 8), 1.15)
        img = cv2.warpAffine(img, m, (w, h), borderMode=cv2.BORDER_REFLECT)
    return img


@dataclass
class ConceptSet:
    images: list[np.ndarray]
    labels: list[str]


def make_concepts(seed: int = 5, per_class: int = 8, width: int = 640, height: int = 360) -> ConceptSet:
    rng = np.random.default_rng(seed)
    sprites = [logos.render(logos.random_design(rng, style="bench"), 96) for _ in range(6)]
    images, labels = [], []
    for i in range(per_class * len(CONCEPTS)):
        concept = CONCEPTS[i % len(CONCEPTS)]
        img = scene(concept, rng, width, height)
        for _ in range(int(rng.integers(0, 3))):
            s = compose.warp_sprite(sprites[int(rng.integers(0, len(sprites)))], rng.uniform(0.05, 0.25) * width, rng)
            if s.shape[0] < height and s.shape[1] < width:
                compose.paste(img, s, int(rng.integers(0, width - s.shape[1])), int(rng.integers(0, height - s.shape[0])))
        images.append(compose.degrade(img, rng))
        labels.append(concept)
    return ConceptSet(images, labels)
