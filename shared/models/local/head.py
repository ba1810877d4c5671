"""The per-user part of a local model: a softmax over the base model's candidate features.

Candidates are the base model's logo-centre peaks; each has an embedding and a heat. The head
maps them to one of the user's labels or "other" (background, someone else's logo, a look-alike).
Trained in seconds with numpy: no torch at run time.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass

import numpy as np

from shared.models.local.base import STRIDE, Maps

OTHER = "__other__"


@dataclass
class Candidates:
    cells: np.ndarray  # (n, 2) y, x on the stride-4 grid
    heat: np.ndarray  # (n,)
    features: np.ndarray  # (n, F)
    xyxy: np.ndarray  # (n, 4) boxes in frame pixels


def features_at(maps: Maps, cells: np.ndarray) -> np.ndarray:
    heat = np.clip(maps.peaks[cells[:, 0], cells[:, 1]], 1e-4, 1 - 1e-4)
    emb = maps.embed[:, cells[:, 0], cells[:, 1]].T
    return np.concatenate([emb, (np.log(heat / (1 - heat)) / 4)[:, None]], axis=1).astype(np.float32)


def candidates(maps: Maps, min_heat: float = 0.02, limit: int = 100) -> Candidates:
    ys, xs = np.nonzero(maps.peaks >= min_heat)
    order = np.argsort(-maps.peaks[ys, xs])[:limit]
    cells = np.stack([ys[order], xs[order]], axis=1)
    return candidates_at(maps, cells)


def candidates_at(maps: Maps, cells: np.ndarray) -> Candidates:
    cells = cells.reshape(-1, 2).astype(np.int64)
    w = np.exp(maps.size[0, cells[:, 0], cells[:, 1]]) * STRIDE
    h = np.exp(maps.size[1, cells[:, 0], cells[:, 1]]) * STRIDE
    cx, cy = (cells[:, 1] + 0.5) * STRIDE, (cells[:, 0] + 0.5) * STRIDE
    xyxy = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1) / maps.scale
    fw, fh = maps.frame_size
    xyxy = np.clip(xyxy, 0, [fw, fh, fw, fh])
    return Candidates(cells, maps.peaks[cells[:, 0], cells[:, 1]], features_at(maps, cells), xyxy.astype(np.float32))


@dataclass
class Head:
    labels: list[str]  # the user's labels; column len(labels) is OTHER
    weights: np.ndarray  # (F, C + 1)
    bias: np.ndarray  # (C + 1,)
    base: str  # which base model the features come from
    min_heat: float = 0.02

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        z = features @ self.weights + self.bias
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        np.savez(buf, weights=self.weights, bias=self.bias,
                 meta=np.frombuffer(json.dumps({"labels": self.labels, "base": self.base,
                                                "min_heat": self.min_heat}).encode(), np.uint8))
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> Head:
        z = np.load(io.BytesIO(data))
        meta = json.loads(z["meta"].tobytes())
        return cls(meta["labels"], z["weights"], z["bias"], meta["base"], meta["min_heat"])


def fit_softmax(x: np.ndarray, y: np.ndarray, n_classes: int, sample_weight: np.ndarray | None = None,
                l2: float = 1e-3, iterations: int = 400, lr: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic regression by full-batch Adam (a few thousand rows, ~40 features)."""
    n, f = x.shape
    sw = np.ones(n, np.float32) if sample_weight is None else sample_weight.astype(np.float32)
    sw = sw / sw.sum()
    onehot = np.eye(n_classes, dtype=np.float32)[y]
    w = np.zeros((f, n_classes), np.float32)
    b = np.zeros(n_classes, np.float32)
    m = [np.zeros_like(w), np.zeros_like(b)]
    v = [np.zeros_like(w), np.zeros_like(b)]
    for t in range(1, iterations + 1):
        z = x @ w + b
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        g = (p - onehot) * sw[:, None]
        grads = [x.T @ g + l2 * w, g.sum(axis=0)]
        for i, (param, grad) in enumerate(((w, grads[0]), (b, grads[1]))):
            m[i] = 0.9 * m[i] + 0.1 * grad
            v[i] = 0.999 * v[i] + 0.001 * grad ** 2
            param -= lr * (m[i] / (1 - 0.9 ** t)) / (np.sqrt(v[i] / (1 - 0.999 ** t)) + 1e-8)
    return w, b
