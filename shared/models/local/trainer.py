"""Train a local object model from labeled frames in seconds to minutes on a laptop CPU.

1. Copy-paste synthesis: the labeled logos are cut out and pasted back onto the user's own
   frames at other sizes (4-25 % of the width), tilted, relit, blurred and JPEG-damaged, so a
   few dozen boxes become a few thousand appearances.
2. The frozen base model turns every synthetic frame into candidates (logo-centre peaks with
   embeddings). Candidates inside a labeled box are that label; all others, including unlabeled
   look-alikes in the user's frames, are "other": the hard negatives come for free.
3. An MLP and a linear softmax are fitted on those candidates (numpy); both must agree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

import cv2
import numpy as np

from shared.models.local.base import BaseModel, load_base
from shared.models.local.head import Candidates, Head, candidates, candidates_at, fit_mlp, fit_softmax
from shared.models.local import compose


@dataclass
class LabeledImage:
    image: np.ndarray  # BGR
    boxes: list[tuple[str, tuple[float, float, float, float]]] = field(default_factory=list)  # label, xyxy px


def _cutout(image: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray | None:
    """The labeled region as a BGRA sprite with feathered edges."""
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    x0, y0 = max(0, x0), max(0, y0)
    x1, y1 = min(image.shape[1], x1), min(image.shape[0], y1)
    if x1 - x0 < 4 or y1 - y0 < 4:
        return None
    crop = image[y0:y1, x0:x1]
    h, w = crop.shape[:2]
    alpha = np.full((h, w), 255, np.uint8)
    f = max(1, min(h, w) // 10)
    ramp = np.linspace(0, 255, f + 1)[1:].astype(np.uint8)
    alpha[:f] = np.minimum(alpha[:f], ramp[:, None])
    alpha[-f:] = np.minimum(alpha[-f:], ramp[::-1][:, None])
    alpha[:, :f] = np.minimum(alpha[:, :f], ramp[None, :])
    alpha[:, -f:] = np.minimum(alpha[:, -f:], ramp[::-1][None, :])
    return np.dstack([crop, alpha])


def synthesize(images: Sequence[LabeledImage], rng: np.random.Generator, count: int) -> list[LabeledImage]:
    """`count` new frames: the user's frames, zoomed, with their logos pasted again elsewhere."""
    sprites = [(label, s) for item in images for label, box in item.boxes
               if (s := _cutout(item.image, box)) is not None]
    out = []
    for n in range(count):
        src = images[n % len(images)]
        img, boxes = src.image, list(src.boxes)
        H, W = img.shape[:2]
        if rng.random() < 0.4:  # zoom in: logos get bigger, some leave the frame
            z = rng.uniform(0.6, 0.9)
            cw, ch = int(W * z), int(H * z)
            x, y = int(rng.integers(0, W - cw + 1)), int(rng.integers(0, H - ch + 1))
            img = cv2.resize(img[y:y + ch, x:x + cw], (W, H))
            moved = []
            for label, (a, b, c, d) in boxes:
                a, b, c, d = (a - x) / z, (b - y) / z, (c - x) / z, (d - y) / z
                vis = (min(c, W) - max(a, 0)) * (min(d, H) - max(b, 0)) / max((c - a) * (d - b), 1)
                if vis > 0.6:
                    moved.append((label, (max(a, 0), max(b, 0), min(c, W), min(d, H))))
            boxes = moved
        img = img.copy()
        taken = [tuple(int(v) for v in b) for _, b in boxes]
        for _ in range(int(rng.integers(0, 4)) if sprites else 0):
            label, sprite = sprites[int(rng.integers(0, len(sprites)))]
            frac = math.exp(rng.uniform(math.log(0.04), math.log(0.25)))
            warped = compose.relight(compose.warp_sprite(sprite, frac * W, rng, rotate=20, perspective=0.15), rng)
            h, w = warped.shape[:2]
            if w >= W or h >= H:
                continue
            for _ in range(10):
                x, y = int(rng.integers(0, W - w)), int(rng.integers(0, H - h))
                if all(x + w < a or c < x or y + h < b or d < y for a, b, c, d in taken):
                    box = compose.paste(img, warped, x, y)
                    if box is not None:
                        if rng.random() < 0.15:
                            compose.occlude(img, box, rng, max_frac=0.3)
                        taken.append(box)
                        boxes.append((label, tuple(float(v) for v in box)))
                    break
        out.append(LabeledImage(compose.degrade(img, rng, blur=0.3, noise=0.2, jpeg=(40, 92)), boxes))
    return out


def _assign(cand: Candidates, boxes: Sequence[tuple[str, tuple[float, float, float, float]]],
            index: dict[str, int]) -> np.ndarray:
    """Each candidate's class: the smallest labeled box holding its centre, else OTHER."""
    other = len(index)
    y = np.full(len(cand.cells), other, np.int64)
    if not boxes or len(y) == 0:
        return y
    cx = (cand.xyxy[:, 0] + cand.xyxy[:, 2]) / 2
    cy = (cand.xyxy[:, 1] + cand.xyxy[:, 3]) / 2
    best_area = np.full(len(y), np.inf)
    for label, (a, b, c, d) in boxes:
        inside = (cx >= a) & (cx <= c) & (cy >= b) & (cy <= d)
        area = (c - a) * (d - b)
        take = inside & (area < best_area)
        y[take] = index[label]
        best_area[take] = area
    return y


def train_head(images: Sequence[LabeledImage], labels: Sequence[str], base: BaseModel | None = None,
               synthetic: int = 400, seed: int = 0, classifier: str = "both") -> Head:
    if classifier not in ("both", "mlp", "linear"):
        raise ValueError(f"classifier must be both, mlp or linear, not {classifier!r}")
    base = base or load_base()
    rng = np.random.default_rng(seed)
    labels = list(labels)
    index = {label: i for i, label in enumerate(labels)}
    xs, ys = [], []
    pool = list(images) + synthesize(images, rng, synthetic)
    for item in pool:
        maps = base.run(item.image)
        cand = candidates(maps)
        y = _assign(cand, item.boxes, index)
        xs.append(cand.features)
        ys.append(y)
        # A labeled logo the base model gave no peak to still teaches the head what it looks like.
        covered = set(y.tolist())
        missing = [(label, box) for label, box in item.boxes if index[label] not in covered]
        if missing:
            cells = np.array([[min(maps.peaks.shape[0] - 1, int((b[1] + b[3]) / 2 * maps.scale / 4)),
                               min(maps.peaks.shape[1] - 1, int((b[0] + b[2]) / 2 * maps.scale / 4))]
                              for _, b in missing])
            xs.append(candidates_at(maps, cells).features)
            ys.append(np.array([index[label] for label, _ in missing]))
    x, y = np.concatenate(xs), np.concatenate(ys)
    n_classes = len(labels) + 1
    mu, sd = x.mean(axis=0), x.std(axis=0) + 1e-4
    params = fit_mlp(x, y, n_classes, seed=seed) if classifier != "linear" else {"mu": mu, "sd": sd}
    if classifier != "mlp":
        w, b = fit_softmax((x - mu) / sd, y, n_classes)
        params.update({"lw": w, "lb": b} if classifier == "both" else {"w2": w, "b2": b})
    return Head(labels=labels, params=params, base=base.name)
