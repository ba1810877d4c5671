"""Synthetic pretraining data: chunks of images full of procedural logos, each logo an identity.

A chunk draws fresh designs (and look-alikes of some, as separate identities: the hard
negatives) and pastes each design into several images of the chunk under different warps, light
and damage, so the embedding head learns "same logo" across appearances and "different logo"
between near twins. Targets are made here (numpy), on the data workers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from devtools.synth import logos, scenes
from shared.models.local import compose

STRIDE = 4
SCENE_KINDS = scenes.KINDS + ("photo",)


@dataclass
class Chunk:
    images: np.ndarray  # (n, H, W, 3) uint8 BGR
    heat: np.ndarray  # (n, 1, H/4, W/4) float32 gaussian centre targets
    size: np.ndarray  # (n, 2, H/4, W/4) float32 log(w/4), log(h/4) at centres
    size_mask: np.ndarray  # (n, 1, H/4, W/4) float32
    centers: np.ndarray  # (k, 4) int64: image index, y, x (stride-4 cells), identity
    scene: np.ndarray  # (n,) int64 background kind


def _gaussian(heat: np.ndarray, cy: float, cx: float, sy: float, sx: float) -> None:
    h, w = heat.shape
    y0, y1 = max(0, int(cy - 3 * sy)), min(h, int(cy + 3 * sy) + 2)
    x0, x1 = max(0, int(cx - 3 * sx)), min(w, int(cx + 3 * sx) + 2)
    if y1 <= y0 or x1 <= x0:
        return
    yy, xx = np.mgrid[y0:y1, x0:x1]
    g = np.exp(-((yy - cy) ** 2 / (2 * sy ** 2) + (xx - cx) ** 2 / (2 * sx ** 2)))
    heat[y0:y1, x0:x1] = np.maximum(heat[y0:y1, x0:x1], g)


def make_chunk(seed: int, n_images: int = 32, height: int = 256, width: int = 448, n_designs: int = 24,
               photos: Sequence[np.ndarray] = (), id_base: int = 0) -> Chunk:
    rng = np.random.default_rng(seed)
    designs = [logos.random_design(rng, style="pretrain") for _ in range(n_designs)]
    designs += [logos.look_alike(designs[i], rng) for i in range(n_designs // 3)]
    sprites = []
    for d in designs:
        try:
            sprites.append(logos.render(d, 72))
        except ValueError:
            sprites.append(None)
    valid = [i for i, s in enumerate(sprites) if s is not None]
    hs, ws = height // STRIDE, width // STRIDE
    images = np.zeros((n_images, height, width, 3), np.uint8)
    heat = np.zeros((n_images, 1, hs, ws), np.float32)
    size = np.zeros((n_images, 2, hs, ws), np.float32)
    size_mask = np.zeros((n_images, 1, hs, ws), np.float32)
    scene = np.zeros(n_images, np.int64)
    centers = []
    for n in range(n_images):
        kind = str(rng.choice(SCENE_KINDS if photos else scenes.KINDS))
        img = scenes.background(rng, width, height, photos, kind=kind)
        scene[n] = SCENE_KINDS.index(kind)
        taken: list[tuple[int, int, int, int]] = []
        for _ in range(int(rng.integers(1, 7))):
            ident = valid[int(rng.integers(0, len(valid)))]
            frac = math.exp(rng.uniform(math.log(0.035), math.log(0.4)))  # of 448 px: 16..180 px
            sprite = compose.relight(compose.warp_sprite(sprites[ident], frac * width, rng, rotate=30,
                                                         perspective=0.22), rng, strength=0.45)
            h, w = sprite.shape[:2]
            if w >= width or h >= height:
                continue
            x, y = int(rng.integers(0, width - w)), int(rng.integers(0, height - h))
            if any(not (x + w < a or a2 < x or y + h < b or b2 < y) for a, b, a2, b2 in taken):
                continue
            box = compose.paste(img, sprite, x, y, opacity=float(rng.uniform(0.75, 1.0)))
            if box is None:
                continue
            if rng.random() < 0.25:
                compose.occlude(img, box, rng, max_frac=0.4)
            taken.append(box)
            x0, y0, x1, y1 = box
            bw, bh = max(2.0, x1 - x0), max(2.0, y1 - y0)
            cx, cy = (x0 + x1) / 2 / STRIDE, (y0 + y1) / 2 / STRIDE
            _gaussian(heat[n, 0], cy, cx, max(0.6, bh / STRIDE / 6), max(0.6, bw / STRIDE / 6))
            iy, ix = min(hs - 1, int(cy)), min(ws - 1, int(cx))
            size[n, 0, iy, ix], size[n, 1, iy, ix] = math.log(bw / STRIDE), math.log(bh / STRIDE)
            size_mask[n, 0, iy, ix] = 1
            heat[n, 0, iy, ix] = 1.0
            centers.append((n, iy, ix, id_base + ident))
        images[n] = compose.degrade(img, rng, blur=0.35, noise=0.35, jpeg=(30, 95))
    return Chunk(images, heat, size, size_mask, np.array(centers, np.int64).reshape(-1, 4), scene)
