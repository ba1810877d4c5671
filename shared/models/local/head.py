"""The per-user part of a local model: a small classifier over the base model's candidates.

Candidates are the base model's logo-centre peaks; each has an embedding and a heat. The head
maps them to one of the user's labels or "other" (background, someone else's logo, a look-alike).
Trained in seconds with numpy: no torch at run time. An MLP and a linear softmax are both fitted
and must agree (docs/models.md has each alone and together).
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Literal

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


def candidates(maps: Maps, min_heat: float = 0.05, limit: int = 25) -> Candidates:
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
    """Standardise, then an MLP and/or a linear softmax over the labels and OTHER.

    With both, a candidate's score is the geometric mean of the two: they err on different
    candidates, so agreement buys precision (bench/models.py: P 0.62 -> 0.79 at the same F1).
    """

    labels: list[str]  # the user's labels; the last output is OTHER
    params: dict[str, np.ndarray]  # mu, sd, then w1, b1, w2, b2 (MLP) and/or lw, lb (linear); w2, b2 alone: linear
    base: str  # which base model the features come from
    min_heat: float = 0.05  # object heads: base-model peaks below this are not candidates
    kind: Literal["object", "concept"] = "object"  # concept: one label for the whole frame, no boxes

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        p = self.params
        x = (features - p["mu"]) / p["sd"]
        h = np.maximum(x @ p["w1"] + p["b1"], 0) if "w1" in p else x
        scores = _softmax(h @ p["w2"] + p["b2"])
        if "lw" in p:
            scores = np.sqrt(scores * _softmax(x @ p["lw"] + p["lb"]))
        return scores

    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        meta = json.dumps({"labels": self.labels, "base": self.base, "min_heat": self.min_heat,
                           "kind": self.kind}).encode()
        np.savez(buf, meta=np.frombuffer(meta, np.uint8), **self.params)
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> Head:
        z = np.load(io.BytesIO(data))
        meta = json.loads(z["meta"].tobytes())
        # Heads saved before `kind` existed marked concept heads with a negative min_heat.
        kind = meta.get("kind") or ("concept" if meta["min_heat"] < 0 else "object")
        return cls(meta["labels"], {k: z[k] for k in z.files if k != "meta"}, meta["base"], max(0.0, meta["min_heat"]),
                   kind)


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def fit_mlp(x: np.ndarray, y: np.ndarray, n_classes: int, hidden: int = 128, epochs: int = 30,
            lr: float = 2e-3, weight_decay: float = 1e-4, seed: int = 0) -> dict[str, np.ndarray]:
    """Minibatch Adam on cross-entropy; a few seconds for tens of thousands of candidates."""
    rng = np.random.default_rng(seed)
    n, f = x.shape
    mu, sd = x.mean(axis=0), x.std(axis=0) + 1e-4
    xn = ((x - mu) / sd).astype(np.float32)
    params = {"w1": rng.normal(0, np.sqrt(2 / f), (f, hidden)).astype(np.float32),
              "b1": np.zeros(hidden, np.float32),
              "w2": rng.normal(0, np.sqrt(1 / hidden), (hidden, n_classes)).astype(np.float32),
              "b2": np.zeros(n_classes, np.float32)}
    m = {k: np.zeros_like(v) for k, v in params.items()}
    v2 = {k: np.zeros_like(v) for k, v in params.items()}
    t = 0
    for _ in range(epochs):
        for _ in range(0, n, 256):
            idx = rng.permutation(n)[:256] if n > 256 else np.arange(n)
            xb, yb = xn[idx], y[idx]
            h = np.maximum(xb @ params["w1"] + params["b1"], 0)
            z = h @ params["w2"] + params["b2"]
            z -= z.max(axis=1, keepdims=True)
            p = np.exp(z)
            p /= p.sum(axis=1, keepdims=True)
            p[np.arange(len(yb)), yb] -= 1
            g = p / len(yb)
            gh = g @ params["w2"].T
            gh[h <= 0] = 0
            grads = {"w2": h.T @ g + weight_decay * params["w2"], "b2": g.sum(axis=0),
                     "w1": xb.T @ gh + weight_decay * params["w1"], "b1": gh.sum(axis=0)}
            t += 1
            for k, grad in grads.items():
                m[k] = 0.9 * m[k] + 0.1 * grad
                v2[k] = 0.999 * v2[k] + 0.001 * grad * grad
                params[k] -= lr * (m[k] / (1 - 0.9 ** t)) / (np.sqrt(v2[k] / (1 - 0.999 ** t)) + 1e-8)
    return {"mu": mu.astype(np.float32), "sd": sd.astype(np.float32), **params}


def fit_softmax(x: np.ndarray, y: np.ndarray, n_classes: int, l2: float = 1e-3, iterations: int = 400,
                lr: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic regression by full-batch Adam: the linear alternative to the MLP."""
    n, f = x.shape
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
        g = (p - onehot) / n
        for i, (param, grad) in enumerate(((w, x.T @ g + l2 * w), (b, g.sum(axis=0)))):
            m[i] = 0.9 * m[i] + 0.1 * grad
            v[i] = 0.999 * v[i] + 0.001 * grad ** 2
            param -= lr * (m[i] / (1 - 0.9 ** t)) / (np.sqrt(v[i] / (1 - 0.999 ** t)) + 1e-8)
    return w, b
