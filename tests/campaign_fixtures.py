"""Hand-made campaigns: v1 reports of made-up videos (detections drawn at random, the report built
by the real rules), the members a campaign is built from, and stored analyses carrying them, for
the Campaign page's tests and its README picture. Nothing here is committed data."""

from __future__ import annotations

import random
from typing import Any

import numpy as np

from shared.detections import Detections
from shared.report.build import build_report

W, H = 1280, 720
BRANDS = ["Acme", "Borealis", "Corvid", "Dynamo", "Eclipse"]


def video_report(seed: int, seconds: float = 60.0, fps: float = 1.0, brands: list[str] = BRANDS,
                 weights: list[float] | None = None) -> dict[str, Any]:
    """A v1 report of a made-up video: each brand comes and goes in runs of a few seconds."""
    rng = random.Random(seed)
    weights = weights or [rng.uniform(0.05, 0.5) for _ in brands]
    on = {b: False for b in brands}
    frames = []
    for i in range(int(seconds * fps)):
        rows, scores, labels = [], [], []
        for b, w in zip(brands, weights):
            on[b] = rng.random() < (0.8 if on[b] else w / 3)
            if on[b]:
                x, y, bw = rng.uniform(0.05, 0.7), rng.uniform(0.05, 0.8), rng.uniform(0.05, 0.25)
                rows.append([x * W, y * H, (x + bw) * W, (y + bw / 2) * H])
                scores.append(rng.uniform(0.55, 0.99))
                labels.append(b)
        frames.append(((i + 0.5) / fps, Detections(np.array(rows).reshape(-1, 4), scores, labels, (W, H))))
    return build_report(frames, duration_s=seconds, width=W, height=H, fps=25.0, sampled_fps=fps,
                        model={"name": "logos", "backend": "local", "version": 1}, min_confidence=0.5,
                        labels=brands, gap_s=1.0)
