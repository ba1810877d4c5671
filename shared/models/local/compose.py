"""Putting logos into pictures the way cameras see them: perspective, rotation, lighting,
occlusion, blur, noise, JPEG. Used by pretraining, the per-user copy-paste trainer and the bench.
"""

from __future__ import annotations

import cv2
import numpy as np


def warp_sprite(sprite: np.ndarray, width: float, rng: np.random.Generator, rotate: float = 25.0,
                perspective: float = 0.18) -> np.ndarray:
    """Scale a BGRA sprite to `width` pixels wide, then rotate and tilt it (returns BGRA)."""
    h, w = sprite.shape[:2]
    scale = width / w
    small = cv2.resize(sprite, (max(2, int(round(w * scale))), max(2, int(round(h * scale)))),
                       interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    h, w = small.shape[:2]
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    jitter = rng.uniform(-perspective, perspective, (4, 2)) * np.float32([w, h])
    angle = np.deg2rad(rng.uniform(-rotate, rotate))
    rot = np.float32([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    dst = (src + jitter - [w / 2, h / 2]) @ rot.T
    dst -= dst.min(axis=0)
    out_w, out_h = int(np.ceil(dst[:, 0].max())) + 1, int(np.ceil(dst[:, 1].max())) + 1
    m = cv2.getPerspectiveTransform(src, dst.astype(np.float32))
    return cv2.warpPerspective(small, m, (out_w, out_h), flags=cv2.INTER_LINEAR, borderValue=(0, 0, 0, 0))


def relight(sprite: np.ndarray, rng: np.random.Generator, strength: float = 0.35) -> np.ndarray:
    """Brightness/contrast change and a soft shadow gradient across the logo."""
    out = sprite.copy()
    bgr = out[..., :3].astype(np.float32)
    gain = rng.uniform(1 - strength, 1 + strength * 0.6)
    bias = rng.uniform(-30, 30) * strength
    h, w = bgr.shape[:2]
    gx = np.linspace(-1, 1, w, dtype=np.float32)[None, :] * rng.uniform(-1, 1)
    gy = np.linspace(-1, 1, h, dtype=np.float32)[:, None] * rng.uniform(-1, 1)
    shade = 1 + strength * 0.5 * (gx + gy)
    bgr = bgr * gain * shade[..., None] + bias
    out[..., :3] = np.clip(bgr, 0, 255).astype(np.uint8)
    return out


def paste(image: np.ndarray, sprite: np.ndarray, x: int, y: int, opacity: float = 1.0) -> tuple[int, int, int, int] | None:
    """Alpha-blend a BGRA sprite at (x, y); returns the visible box (x0, y0, x1, y1) or None."""
    H, W = image.shape[:2]
    h, w = sprite.shape[:2]
    x0, y0, x1, y1 = max(0, x), max(0, y), min(W, x + w), min(H, y + h)
    if x1 <= x0 or y1 <= y0:
        return None
    crop = sprite[y0 - y:y1 - y, x0 - x:x1 - x]
    alpha = crop[..., 3:4].astype(np.float32) / 255 * opacity
    region = image[y0:y1, x0:x1].astype(np.float32)
    image[y0:y1, x0:x1] = (region * (1 - alpha) + crop[..., :3] * alpha).astype(np.uint8)
    ys, xs = np.nonzero(crop[..., 3] > 96)
    if len(xs) == 0:
        return None
    return x0 + int(xs.min()), y0 + int(ys.min()), x0 + int(xs.max()) + 1, y0 + int(ys.max()) + 1


def occlude(image: np.ndarray, box: tuple[int, int, int, int], rng: np.random.Generator, max_frac: float = 0.35) -> None:
    """Cover part of a box with something (a bar, a blob, a hand-like ellipse)."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    frac = rng.uniform(0.1, max_frac)
    color = tuple(int(c) for c in rng.integers(0, 256, 3))
    side = rng.integers(0, 4)
    if side == 0:
        cv2.rectangle(image, (x0 - 2, y0 - 2), (int(x0 + w * frac), y1 + 2), color, -1)
    elif side == 1:
        cv2.rectangle(image, (int(x1 - w * frac), y0 - 2), (x1 + 2, y1 + 2), color, -1)
    elif side == 2:
        cv2.rectangle(image, (x0 - 2, int(y1 - h * frac)), (x1 + 2, y1 + 2), color, -1)
    else:
        center = (int(rng.uniform(x0, x1)), int(rng.uniform(y0, y1)))
        cv2.ellipse(image, center, (max(2, int(w * frac)), max(2, int(h * frac * 1.5))), rng.uniform(0, 180),
                    0, 360, color, -1, cv2.LINE_AA)


def degrade(image: np.ndarray, rng: np.random.Generator, blur: float = 0.3, noise: float = 0.3,
            jpeg: tuple[int, int] = (35, 92)) -> np.ndarray:
    """Camera and codec damage: defocus or motion blur, sensor noise, JPEG."""
    out = image
    if rng.random() < blur:
        if rng.random() < 0.5:
            k = int(rng.choice([3, 5]))
            out = cv2.GaussianBlur(out, (k, k), 0)
        else:
            k = int(rng.integers(3, 8))
            kernel = np.zeros((k, k), np.float32)
            kernel[k // 2, :] = 1 / k
            m = cv2.getRotationMatrix2D((k / 2 - 0.5, k / 2 - 0.5), rng.uniform(0, 180), 1)
            out = cv2.filter2D(out, -1, cv2.warpAffine(kernel, m, (k, k)))
    if rng.random() < noise:
        out = np.clip(out.astype(np.int16) + rng.normal(0, rng.uniform(2, 8), out.shape).astype(np.int16),
                      0, 255).astype(np.uint8)
    q = int(rng.integers(*jpeg))
    ok, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, q])
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)
