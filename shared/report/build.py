"""Detections per sampled frame -> the `brandvis.report/v1` visibility report (DESIGN.md).

The rules, in one place:
- **Interval rule**: a frame sampled at t stands for [t - 1/(2 fps), t + 1/(2 fps)] clipped to
  [0, duration]; a brand's screen time is the summed length of the intervals of the frames where
  it is detected (at or above `min_confidence`). Keyframe sampling has no rate: each frame then
  stands for the span from the midpoint with its previous sample to the midpoint with its next
  one (the first from 0, the last to the end).
- **Appearances**: a brand's detected frames whose intervals are less than `gap_s` apart are one
  appearance, from its first frame's interval start to its last frame's interval end.
- **First and last seen** follow the interval rule too: a brand is first seen at its first
  appearance's start and last seen at its last appearance's end (the same figures as appearances.csv).
- **Share of screen time**: a brand's screen time over all brands' screen time added up (share
  of voice), so shares sum to 1 whenever anything was seen.
- **How sure**: the model block carries the version's held-out evaluation and the warnings it calls
  for, each brand the range of true screen time that evaluation implies (shared/report/quality.py).
- **Per frame**, a brand counts once: its most confident box gives the frame's confidence, size
  and position (a second box of the same brand does not add screen time).

`extras` holds what sponsorship analysts buy from commercial tools:
- `solus_time_s`: screen time with no other brand detected in the frame;
- `clutter`: mean number of other brands beside it, and seconds shared with each;
- `prominence` (0-100) per frame = 100 x size x centrality x confidence, where size =
  min(1, sqrt(box area / 10 % of the frame)) (a box covering a tenth of the frame or more scores
  1), centrality = 1 - distance of the box centre from the frame centre / half the diagonal
  (1 in the middle, 0 in a corner); per appearance and per brand it is the mean over frames;
- `heatmap`: an 8 x 8 grid over the frame of seconds with the box centre in each cell (row 0 at
  the top);
- `size_histogram`: seconds per box-width bucket (% of the frame width).
Concept models have no boxes: their size, position and prominence fields are null.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import numpy as np

from shared.detections import Detections, xyxy_to_ltwh_rel
from shared.report import quality

SCHEMA = "brandvis.report/v1"
GRID = 8
#: Box width as % of the frame width: the buckets the size histogram counts seconds in.
SIZE_BUCKETS: tuple[tuple[float, float], ...] = ((0, 4), (4, 8), (8, 15), (15, 25), (25, 50), (50, 100.01))
PROMINENCE_FULL_AREA = 0.10
#: Confidences travel as Rekognition's 0-100 with 3 decimals; a detection kept at the threshold by
#: detect stays kept here whatever the float rounding on the way.
CONFIDENCE_EPS = 1e-6


#: Boxes as fractions of the frame: (left, top, width, height), as Rekognition returns them.
Rel = tuple[float, float, float, float]

#: One sampled frame: its time and what was detected in it.
FrameDetections = tuple[float, Detections]


def _area(box: Rel) -> float:
    return max(0.0, box[2]) * max(0.0, box[3])


def _centre(box: Rel) -> tuple[float, float]:
    return box[0] + box[2] / 2, box[1] + box[3] / 2


def _labels(det: Detections) -> list[tuple[str, float, Rel | None]]:
    """(label, confidence, box) per detection; boxes relative to the frame, None for concept labels."""
    w, h = det.image_size
    rel = xyxy_to_ltwh_rel(np.nan_to_num(det.xyxy).astype(np.float64), max(w, 1), max(h, 1)) if len(det) else None
    out = []
    for i in range(len(det)):
        box = tuple(float(v) for v in rel[i]) if rel is not None and det.has_boxes[i] else None
        out.append((str(det.labels[i]), float(det.confidence[i]), box))
    return out


def frame_intervals(times: Sequence[float], duration_s: float, sampled_fps: float | None) -> list[tuple[float, float]]:
    """The span of video each sampled frame stands for (the interval rule above)."""
    if sampled_fps:
        half = 1.0 / (2.0 * sampled_fps)
        return [(max(0.0, t - half), min(duration_s, t + half)) for t in times]
    spans = []
    for i, t in enumerate(times):
        start = 0.0 if i == 0 else (times[i - 1] + t) / 2
        end = duration_s if i == len(times) - 1 else (t + times[i + 1]) / 2
        spans.append((max(0.0, start), min(duration_s, end)))
    return spans


def prominence(box: Rel | None, confidence: float) -> float | None:
    if box is None:
        return None
    size = min(1.0, math.sqrt(_area(box) / PROMINENCE_FULL_AREA))
    cx, cy = _centre(box)
    centrality = max(0.0, 1.0 - math.hypot(cx - 0.5, cy - 0.5) / math.hypot(0.5, 0.5))
    return 100.0 * size * centrality * confidence


def size_bucket(width_frac: float) -> str:
    pct = 100.0 * width_frac
    for lo, hi in SIZE_BUCKETS:
        if lo <= pct < hi:
            return _bucket_name(lo, hi)
    return _bucket_name(*SIZE_BUCKETS[-1])


def _bucket_name(lo: float, hi: float) -> str:
    return f"{lo:g}-{min(hi, 100):g}%"


@dataclass
class _Seen:
    """One brand in one frame: its best box."""

    index: int
    span: tuple[float, float]
    confidence: float
    box: Rel | None
    others: frozenset[str]

    @property
    def seconds(self) -> float:
        return self.span[1] - self.span[0]


@dataclass
class _Brand:
    label: str
    seen: list[_Seen] = field(default_factory=list)


def _mean(values: Iterable[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return sum(vals) / len(vals) if vals else None


def _r(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else float(round(value, digits))


def _appearances(seen: list[_Seen], gap_s: float) -> list[list[_Seen]]:
    runs: list[list[_Seen]] = []
    for s in seen:
        if runs and s.span[0] - runs[-1][-1].span[1] < gap_s:
            runs[-1].append(s)
        else:
            runs.append([s])
    return runs


def _appearance_extra(run: list[_Seen]) -> dict[str, Any]:
    return {"start_s": _r(run[0].span[0], 3), "end_s": _r(run[-1].span[1], 3),
            "screen_time_s": _r(sum(s.seconds for s in run), 3), "frames": len(run),
            "mean_confidence": _r(_mean(s.confidence for s in run)),
            "mean_area_pct": _r(_mean(100 * _area(s.box) if s.box else None for s in run)),
            "prominence": _r(_mean(prominence(s.box, s.confidence) for s in run), 2)}


def build_report(frames: Sequence[FrameDetections], *, duration_s: float, width: int, height: int, fps: float,
                 sampled_fps: float | None, model: dict[str, Any], min_confidence: float, labels: Sequence[str] = (),
                 gap_s: float, extras: dict[str, Any] | None = None,
                 evaluation: dict[str, Any] | None = None) -> dict[str, Any]:
    """The report of one video from the detections of its sampled frames. `labels`: every label
    the model knows (absent brands are listed with zero screen time, which is itself a finding);
    `evaluation`: the model version's held-out metrics (`ModelVersion.metrics`), None if it has none."""
    ordered = sorted(((float(t), _labels(det)) for t, det in frames), key=lambda f: f[0])
    times = [t for t, _ in ordered]
    spans = frame_intervals(times, duration_s, sampled_fps)
    brands: dict[str, _Brand] = {label: _Brand(label) for label in labels}
    out_frames = []
    for i, ((t, found), span) in enumerate(zip(ordered, spans)):
        kept = [(name, conf, box) for name, conf, box in found if conf >= min_confidence - CONFIDENCE_EPS]
        best: dict[str, tuple[float, Rel | None]] = {}
        for name, conf, box in kept:
            if name not in best or conf > best[name][0]:
                best[name] = (conf, box)
        present = frozenset(best)
        for name, (conf, box) in best.items():
            brands.setdefault(name, _Brand(name)).seen.append(_Seen(i, span, conf, box, present - {name}))
        out_frames.append({"t_s": _r(t, 6), "labels": [
            {"label": name, "confidence": _r(conf),
             "box": None if box is None else {"left": _r(box[0]), "top": _r(box[1]),
                                              "width": _r(box[2]), "height": _r(box[3])}}
            for name, conf, box in kept]})

    total = sum(s.seconds for b in brands.values() for s in b.seen)
    ev = quality.evaluation(evaluation, list(brands))
    ref = model["name"] + (f" v{model['version']}" if model.get("version") is not None else "")
    rows, extra_brands = [], {}
    for b in brands.values():
        screen = sum(s.seconds for s in b.seen)
        runs = _appearances(b.seen, gap_s)
        rows.append({
            "label": b.label,
            "screen_time_s": _r(screen, 3),
            "share_of_screen_time": _r(screen / total if total > 0 else 0.0),
            "appearances": [{"start_s": _r(run[0].span[0], 3), "end_s": _r(run[-1].span[1], 3)} for run in runs],
            "first_seen_s": _r(runs[0][0].span[0], 3) if runs else None,
            "last_seen_s": _r(runs[-1][-1].span[1], 3) if runs else None,
            "mean_confidence": _r(_mean(s.confidence for s in b.seen)),
            "mean_area_pct": _r(_mean(100 * _area(s.box) if s.box else None for s in b.seen)),
            "uncertainty": quality.uncertainty(((s.seconds, s.confidence) for s in b.seen),
                                               ev["per_label"].get(b.label) if ev else None,
                                               min_confidence=min_confidence, duration_s=duration_s),
        })
        extra_brands[b.label] = _brand_extras(b, screen, duration_s, runs)
    rows.sort(key=lambda r: (-r["screen_time_s"], r["label"]))
    return {
        "schema": SCHEMA,
        "video": {"duration_s": _r(duration_s, 3), "width": int(width), "height": int(height), "fps": _r(fps, 3),
                  "sampled_fps": _r(sampled_fps, 6) if sampled_fps else None},
        "model": {"name": model["name"], "backend": model["backend"], "min_confidence": min_confidence,
                  "version": model.get("version"), "evaluation": ev,
                  "warnings": quality.warnings(ev, ref, min_confidence)},
        "brands": rows,
        "frames": out_frames,
        "extras": {**(extras or {}), "gap_s": gap_s, "frames_sampled": len(ordered),
                   "seconds_with_any_brand": _r(_union_seconds(brands), 3),
                   "prominence_definition": "100 x min(1, sqrt(box area / 10% of frame)) x (1 - centre distance "
                                            "/ half diagonal) x confidence",
                   "size_buckets": [_bucket_name(lo, hi) for lo, hi in SIZE_BUCKETS],
                   "brands": extra_brands},
    }


def _union_seconds(brands: dict[str, _Brand]) -> float:
    spans = {s.index: s.seconds for b in brands.values() for s in b.seen}
    return sum(spans.values())


def _brand_extras(b: _Brand, screen: float, duration_s: float, runs: list[list[_Seen]]) -> dict[str, Any]:
    solus = sum(s.seconds for s in b.seen if not s.others)
    shared: dict[str, float] = {}
    for s in b.seen:
        for other in s.others:
            shared[other] = shared.get(other, 0.0) + s.seconds
    heat = [[0.0] * GRID for _ in range(GRID)]
    sizes = {_bucket_name(lo, hi): 0.0 for lo, hi in SIZE_BUCKETS}
    boxed = [s for s in b.seen if s.box is not None]
    for s in boxed:
        assert s.box is not None
        cx, cy = _centre(s.box)
        heat[min(GRID - 1, max(0, int(cy * GRID)))][min(GRID - 1, max(0, int(cx * GRID)))] += s.seconds
        sizes[size_bucket(s.box[2])] += s.seconds
    return {
        "share_of_video": _r(screen / duration_s if duration_s > 0 else 0.0),
        "solus_time_s": _r(solus, 3),
        "clutter": {"mean_other_brands": _r(_mean(len(s.others) for s in b.seen)),
                    "shared_seconds": {k: _r(v, 3) for k, v in sorted(shared.items())}},
        "prominence": _r(_mean(prominence(s.box, s.confidence) for s in b.seen), 2),
        "appearances": [_appearance_extra(run) for run in runs],
        "heatmap": [[_r(v, 3) for v in row] for row in heat] if boxed else None,
        "size_histogram": {k: _r(v, 3) for k, v in sizes.items()} if boxed else None,
    }
