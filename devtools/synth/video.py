"""Videos with brands on screen at known times: the ground truth for the analysis bench and tests.

A video is a few "shots" (a background that slowly pans, cut every 6-14 s); logos appear as
events with a start, an end, a size, a position and a slow drift, each pre-warped once (a sign
seen from one angle for the whole appearance). The schedule mixes long appearances, short flashes
(0.3-1 s), several brands at once, look-alike and unrelated distractors, and leaves one brand
out entirely. Truth is per video frame, so any sampling can be scored exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Sequence

import av
import cv2
import numpy as np

from devtools.synth import scenes
from shared.models.local import compose
from devtools.synth.benchmark import Logo


@dataclass(frozen=True)
class Event:
    logo: str
    is_brand: bool
    start_s: float
    end_s: float
    width_frac: float
    x: float  # top-left at start, fraction of the frame
    y: float
    dx: float  # drift over the event, fraction of the frame
    dy: float


@dataclass
class BrandVideo:
    path: Path
    seconds: float
    fps: int
    size: tuple[int, int]
    events: list[Event]
    absent: list[str]
    visible: list[set[str]] = field(default_factory=list)  # per video frame: brands on screen
    others_visible: list[set[str]] = field(default_factory=list)  # per video frame: distractors on screen
    boxes: list[list[tuple[str, tuple[int, int, int, int]]]] = field(default_factory=list)  # per frame: brand, xyxy

    def boxes_at(self, t: float) -> list[tuple[str, tuple[int, int, int, int]]]:
        """The brands' boxes (pixels, x0 y0 x1 y1) on the frame shown at time t, as a labeler would draw them."""
        n = min(len(self.boxes) - 1, int(math.floor(t * self.fps + 1e-9)))
        return self.boxes[n]

    def brands_at(self, t: float) -> set[str]:
        """Brands on the frame shown at time t (the frame with the largest start time <= t)."""
        n = min(len(self.visible) - 1, int(math.floor(t * self.fps + 1e-9)))
        return self.visible[n]

    def others_at(self, t: float) -> set[str]:
        n = min(len(self.others_visible) - 1, int(math.floor(t * self.fps + 1e-9)))
        return self.others_visible[n] if self.others_visible else set()

    def screen_time(self, label: str) -> float:
        return sum(label in v for v in self.visible) / self.fps


def schedule(rng: np.random.Generator, brands: Sequence[Logo], distractors: Sequence[Logo], seconds: float,
             absent: int = 1, absent_names: Sequence[str] = (), must_show: Sequence[str] = (),
             min_frac: float = 0.06) -> tuple[list[Event], list[str]]:
    """`absent_names`: these brands never appear (else `absent` chosen at random); `must_show`:
    these distractors appear several times (a brand's look-alike in a video without the brand)."""
    order = rng.permutation(len(brands))
    if absent_names:
        missing = [b.name for b in brands if b.name in absent_names]
        shown = [b for b in brands if b.name not in absent_names]
    else:
        shown = [brands[i] for i in sorted(order[absent:])]
        missing = [brands[i].name for i in sorted(order[:absent])]
    events: list[Event] = []
    for name in must_show:
        logo = next(d for d in distractors if d.name == name)
        for k in range(3):
            s = seconds * (0.1 + 0.3 * k) + float(rng.uniform(0, 2))
            events.append(_event(rng, logo, s, min(seconds, s + float(rng.uniform(3, 7))), min_frac))
    t = 0.5
    while t < seconds - 1:
        logo = shown[int(rng.integers(0, len(shown)))]
        flash = rng.random() < 0.2
        length = rng.uniform(0.3, 1.0) if flash else rng.uniform(2.0, 8.0)
        events.append(_event(rng, logo, t, min(seconds, t + length), min_frac))
        if rng.random() < 0.35:  # a second brand overlapping in time
            other = shown[int(rng.integers(0, len(shown)))]
            s = t + rng.uniform(0, length)
            events.append(_event(rng, other, s, min(seconds, s + rng.uniform(1.0, 5.0)), min_frac))
        if distractors and rng.random() < 0.5:
            d = distractors[int(rng.integers(0, len(distractors)))]
            s = t + rng.uniform(-1, length)
            events.append(_event(rng, d, max(0.0, s), min(seconds, max(0.0, s) + rng.uniform(1.0, 5.0)), min_frac))
        t += length + rng.uniform(0.5, 4.0)
    return events, missing


def _event(rng: np.random.Generator, logo: Logo, start: float, end: float, min_frac: float = 0.06) -> Event:
    frac = math.exp(rng.uniform(math.log(min_frac), math.log(0.25)))
    return Event(logo.name, logo.is_brand, round(start, 3), round(end, 3), frac, float(rng.uniform(0.02, 0.98 - frac)),
                 float(rng.uniform(0.05, 0.8)), float(rng.uniform(-0.05, 0.05)), float(rng.uniform(-0.03, 0.03)))


def make_brand_video(path: Path, brands: Sequence[Logo], distractors: Sequence[Logo], seconds: float = 60.0,
                     fps: int = 25, size: tuple[int, int] = (640, 360), seed: int = 0,
                     photos: Sequence[np.ndarray] = (), absent: Sequence[str] = (), must_show: Sequence[str] = (),
                     min_frac: float = 0.06, rotate: float = 15.0) -> BrandVideo:
    rng = np.random.default_rng(seed)
    W, H = size
    events, absent = schedule(rng, brands, distractors, seconds, absent_names=absent, must_show=must_show,
                              min_frac=min_frac)
    logos = {lg.name: lg for lg in list(brands) + list(distractors)}
    sprites = [compose.relight(compose.warp_sprite(logos[e.logo].sprite, e.width_frac * W, rng, rotate=rotate,
                                                   perspective=0.12), rng) for e in events]
    cuts = [0.0]
    while cuts[-1] < seconds:
        cuts.append(cuts[-1] + rng.uniform(6, 14))
    shots = [cv2.resize(scenes.background(rng, W, H, photos), (int(W * 1.25), int(H * 1.25))) for _ in cuts]
    video = BrandVideo(path, seconds, fps, size, events, absent)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = W, H, "yuv420p"
        stream.options = {"crf": "23", "preset": "veryfast", "g": str(fps * 4)}
        stream.thread_type = "FRAME"
        for n in range(int(round(seconds * fps))):
            t = n / fps
            shot = max(i for i, c in enumerate(cuts) if c <= t)
            p = (t - cuts[shot]) / max(1e-6, cuts[shot + 1] - cuts[shot]) if shot + 1 < len(cuts) else 0.0
            bg = shots[shot]
            ox, oy = int(p * (bg.shape[1] - W)), int(p * (bg.shape[0] - H) * 0.5)
            image = bg[oy:oy + H, ox:ox + W].copy()
            seen: set[str] = set()
            others: set[str] = set()
            drawn: list[tuple[str, tuple[int, int, int, int]]] = []
            for e, sprite in zip(events, sprites):
                if not e.start_s <= t < e.end_s:
                    continue
                q = (t - e.start_s) / max(1e-6, e.end_s - e.start_s)
                x, y = int((e.x + e.dx * q) * W), int((e.y + e.dy * q) * H)
                box = compose.paste(image, sprite, x, y)
                if box is None:
                    continue
                h, w = sprite.shape[:2]
                if (box[2] - box[0]) * (box[3] - box[1]) >= 0.6 * w * h:
                    (seen if e.is_brand else others).add(e.logo)
                    if e.is_brand:
                        drawn.append((e.logo, tuple(int(v) for v in box)))  # type: ignore[misc]
            video.visible.append(seen)
            video.boxes.append(drawn)
            video.others_visible.append(others)
            frame = av.VideoFrame.from_ndarray(image, format="bgr24")
            frame.pts = n
            frame.time_base = Fraction(1, fps)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return video
