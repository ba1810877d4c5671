"""Procedural backgrounds: stadiums, studios, streets, textures, and (when given) photo crops.

Busy on purpose: signs with small text, stripes, shapes and noise are what makes a logo detector
fire where it should not.
"""

from __future__ import annotations

from typing import Sequence

import cv2
import numpy as np

KINDS = ("stadium", "studio", "street", "texture", "abstract")


def _rand_color(rng: np.random.Generator) -> tuple[int, int, int]:
    return tuple(int(c) for c in rng.integers(0, 256, 3))  # type: ignore[return-value]


def _gradient(h: int, w: int, top: tuple[int, ...], bottom: tuple[int, ...]) -> np.ndarray:
    t = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    return (np.array(top, np.float32) * (1 - t) + np.array(bottom, np.float32) * t).repeat(w, axis=1).astype(np.uint8)


def _noise_texture(rng: np.random.Generator, h: int, w: int, scale: int) -> np.ndarray:
    small = rng.random((max(2, h // scale), max(2, w // scale), 3)).astype(np.float32)
    return (cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC) * 255).clip(0, 255).astype(np.uint8)


def _clutter_text(img: np.ndarray, rng: np.random.Generator, n: int) -> None:
    h, w = img.shape[:2]
    for _ in range(n):
        text = "".join(rng.choice(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 "), int(rng.integers(2, 10))))
        cv2.putText(img, text, (int(rng.integers(0, w)), int(rng.integers(10, h))), int(rng.integers(0, 4)),
                    rng.uniform(0.25, 0.7) * h / 360, _rand_color(rng), 1, cv2.LINE_AA)


def _shapes(img: np.ndarray, rng: np.random.Generator, n: int, max_size: float) -> None:
    h, w = img.shape[:2]
    for _ in range(n):
        c = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        s = int(rng.uniform(4, max_size * w))
        kind = rng.integers(0, 3)
        if kind == 0:
            cv2.rectangle(img, c, (c[0] + s, c[1] + int(s * rng.uniform(0.3, 2))), _rand_color(rng), -1)
        elif kind == 1:
            cv2.circle(img, c, s // 2, _rand_color(rng), int(rng.choice([-1, 2])), cv2.LINE_AA)
        else:
            cv2.line(img, c, (int(rng.integers(0, w)), int(rng.integers(0, h))), _rand_color(rng),
                     int(rng.integers(1, 4)), cv2.LINE_AA)


def background(rng: np.random.Generator, width: int, height: int, photos: Sequence[np.ndarray] = (),
               kind: str | None = None) -> np.ndarray:
    if kind is None:
        kind = str(rng.choice(KINDS + (("photo",) if photos else ()),
                              p=None if not photos else [0.14] * len(KINDS) + [0.3]))
    h, w = height, width
    if kind == "photo":
        photo = photos[int(rng.integers(0, len(photos)))]
        ph, pw = photo.shape[:2]
        scale = max(w / pw, h / ph) * rng.uniform(1.0, 1.8)
        big = cv2.resize(photo, (int(pw * scale) + 1, int(ph * scale) + 1))
        y, x = int(rng.integers(0, big.shape[0] - h + 1)), int(rng.integers(0, big.shape[1] - w + 1))
        img = big[y:y + h, x:x + w].copy()
        img = np.clip(img.astype(np.float32) * rng.uniform(0.7, 1.2) + rng.uniform(-20, 20), 0, 255).astype(np.uint8)
    elif kind == "stadium":
        img = _gradient(h, w, (200, 160, 90), (230, 200, 150))
        stands = int(h * rng.uniform(0.25, 0.5))
        crowd = _noise_texture(rng, stands, w, 3)
        img[:stands] = (crowd * 0.6 + np.array(_rand_color(rng)) * 0.4).astype(np.uint8)
        for y in range(stands, stands + int(h * 0.06), 4):  # advertising boards band
            cv2.line(img, (0, y), (w, y), _rand_color(rng), 2)
        field = _gradient(h - stands, w, (40, 140, 50), (30, 110, 40))
        for x in range(0, w, int(w / rng.integers(6, 12))):
            cv2.rectangle(field, (x, 0), (x + w // 20, h), (45, 150, 60), -1)
        img[stands:] = field
        _clutter_text(img, rng, int(rng.integers(0, 6)))
    elif kind == "studio":
        img = _gradient(h, w, _rand_color(rng), tuple(int(c * 0.3) for c in _rand_color(rng)))
        desk_y = int(h * rng.uniform(0.6, 0.85))
        cv2.rectangle(img, (0, desk_y), (w, h), _rand_color(rng), -1)
        for _ in range(int(rng.integers(2, 6))):
            cv2.circle(img, (int(rng.integers(0, w)), int(rng.integers(0, desk_y))), int(rng.integers(10, 60)),
                       _rand_color(rng), -1, cv2.LINE_AA)
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(2, 8))
        _shapes(img, rng, int(rng.integers(2, 8)), 0.1)
    elif kind == "street":
        img = _gradient(h, w, (220, 190, 150), (120, 120, 120))
        x = 0
        while x < w:
            bw, bh = int(rng.integers(w // 12, w // 4)), int(rng.uniform(0.3, 0.9) * h)
            col = _rand_color(rng)
            cv2.rectangle(img, (x, h - bh), (x + bw, h), col, -1)
            for wy in range(h - bh + 8, h - 10, int(rng.integers(12, 24))):
                for wx in range(x + 4, x + bw - 8, int(rng.integers(10, 20))):
                    cv2.rectangle(img, (wx, wy), (wx + 5, wy + 7), tuple(min(255, c + 60) for c in col), -1)
            x += bw
        _clutter_text(img, rng, int(rng.integers(2, 10)))
    elif kind == "texture":
        img = _noise_texture(rng, h, w, int(rng.integers(4, 40)))
        img = (img.astype(np.float32) * 0.6 + np.array(_rand_color(rng)) * 0.4).astype(np.uint8)
    else:
        img = np.full((h, w, 3), _rand_color(rng), np.uint8)
        _shapes(img, rng, int(rng.integers(10, 40)), 0.25)
        _clutter_text(img, rng, int(rng.integers(0, 8)))
    return img


def photo_library() -> list[np.ndarray]:
    """Photos that ship inside scikit-image (no download), when it is installed: real textures."""
    try:
        from skimage import data
    except ImportError:
        return []
    photos = []
    for name in ("astronaut", "coffee", "chelsea", "rocket", "motorcycle_left", "hubble_deep_field",
                 "immunohistochemistry", "retina", "colorwheel", "cat", "camera", "brick", "grass", "gravel"):
        try:
            img = getattr(data, name)()
        except Exception:  # some need a download: skipped, never fetched
            continue
        if isinstance(img, tuple):
            img = img[0]
        if img.ndim == 2:
            img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
        elif img.shape[2] == 4:
            img = img[..., :3]
        photos.append(cv2.cvtColor(np.ascontiguousarray(img), cv2.COLOR_RGB2BGR))
    return photos
