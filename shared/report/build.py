"""Detections per sampled frame -> the `brandvis.report/v1` visibility report (DESIGN.md).

The rules, in one place:
- **Interval rule**: a frame sampled at t stands for [t - 1/(2 fps), t + 1/(2 fps)] clipped to
  [0, duration]; a brand's screen time is the summed length of the intervals of the frames where
  it is detected (at or above `min_confidence`). Keyframe sampling has no rate: each frame then
  stands for the span from the midpoint with its previous sample to the midpoint with its next
  one (the first from 0, the last to the end).
- **Appearances**: a brand's detected frames whose intervals are less than `gap_s` apart are one
  appearance, from its first frame's interval start to its last frame's interval end.
- **Share of screen time**: a brand's screen time over all brands' screen time added up (share
  of voice), so shares sum to 1 whenever anything was seen.
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

SCHEMA = "brandvis.report/v1"
GRID = 8
#: Box width as % of the frame width: the buckets the size histogram counts seconds in.
SIZE_BUCKETS: tuple[tuple[float, float], ...] = ((0, 4), (4, 8), (8, 15), (15, 25), (25, 50), (50, 100.01))
PROMINENCE_FULL_AREA = 0.10


@dataclass(frozen=True)
class Box:
    left: float
    top: float
    width: float
    height: float

    @property
    def area(self) -> float:
        return max(0.0, self.width) * max(0.0, self.height)

    @property
    def centre(self) -> tuple[float, float]:
        return self.left + self.width / 2, self.top + self.height / 2


@dataclass(frozen=True)
class Label:
    label: str
    confidence: float  # 0..1
    box: Box | None = None


@dataclass(frozen=True)
class Frame:
    t_s: float
    labels: tuple[Label, ...] = ()


def frame_from_rekognition(t_s: float, response: dict[str, Any]) -> Frame:
    """One frame's DetectCustomLabels response (confidence 0-100) -> a Frame (0..1)."""
    labels = []
    for item in response.get("CustomLabels", []):
        geo = item.get("Geometry", {}).get("BoundingBox")
        box = Box(float(geo["Left"]), float(geo["Top"]), float(geo["Width"]), float(geo["Height"])) if geo else None
        labels.append(Label(str(item["Name"]), float(item["Confidence"]) / 100.0, box))
    return Frame(float(t_s), tuple(labels))


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


def prominence(box: Box | None, confidence: float) -> float | None:
    if box is None:
        return None
    size = min(1.0, math.sqrt(box.area / PROMINENCE_FULL_AREA))
    cx, cy = box.centre
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
    box: Box | None
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
            "mean_area_pct": _r(_mean(100 * s.box.area if s.box else None for s in run)),
            "prominence": _r(_mean(prominence(s.box, s.confidence) for s in run), 2)}


def build_report(frames: Sequence[Frame], *, duration_s: float, width: int, height: int, fps: float,
                 sampled_fps: float | None, model: dict[str, Any], min_confidence: float, labels: Sequence[str] = (),
                 gap_s: float = 1.0, extras: dict[str, Any] | None = None) -> dict[str, Any]:
    """The report of one video. `labels`: every label the model knows (absent brands are listed
    with zero screen time, which is itself a finding)."""
    frames = sorted(frames, key=lambda f: f.t_s)
    spans = frame_intervals([f.t_s for f in frames], duration_s, sampled_fps)
    brands: dict[str, _Brand] = {label: _Brand(label) for label in labels}
    out_frames = []
    for i, (frame, span) in enumerate(zip(frames, spans)):
        best: dict[str, Label] = {}
        for lab in frame.labels:
            if lab.confidence >= min_confidence and (lab.label not in best or lab.confidence > best[lab.label].confidence):
                best[lab.label] = lab
        present = frozenset(best)
        for name, lab in best.items():
            brands.setdefault(name, _Brand(name)).seen.append(_Seen(i, span, lab.confidence, lab.box, present - {name}))
        out_frames.append({"t_s": _r(frame.t_s, 6), "labels": [
            {"label": lab.label, "confidence": _r(lab.confidence),
             "box": None if lab.box is None else {"left": _r(lab.box.left), "top": _r(lab.box.top),
                                                  "width": _r(lab.box.width), "height": _r(lab.box.height)}}
            for lab in frame.labels if lab.confidence >= min_confidence]})

    total = sum(s.seconds for b in brands.values() for s in b.seen)
    rows, extra_brands = [], {}
    for b in brands.values():
        screen = sum(s.seconds for s in b.seen)
        runs = _appearances(b.seen, gap_s)
        rows.append({
            "label": b.label,
            "screen_time_s": _r(screen, 3),
            "share_of_screen_time": _r(screen / total if total > 0 else 0.0),
            "appearances": [{"start_s": _r(run[0].span[0], 3), "end_s": _r(run[-1].span[1], 3)} for run in runs],
            "first_seen_s": _r(frames[b.seen[0].index].t_s, 3) if b.seen else None,
            "last_seen_s": _r(frames[b.seen[-1].index].t_s, 3) if b.seen else None,
            "mean_confidence": _r(_mean(s.confidence for s in b.seen)),
            "mean_area_pct": _r(_mean(100 * s.box.area if s.box else None for s in b.seen)),
        })
        extra_brands[b.label] = _brand_extras(b, screen, duration_s, runs)
    rows.sort(key=lambda r: (-r["screen_time_s"], r["label"]))
    return {
        "schema": SCHEMA,
        "video": {"duration_s": _r(duration_s, 3), "width": int(width), "height": int(height), "fps": _r(fps, 3),
                  "sampled_fps": _r(sampled_fps, 6) if sampled_fps else None},
        "model": {"name": model["name"], "backend": model["backend"], "min_confidence": min_confidence},
        "brands": rows,
        "frames": out_frames,
        "extras": {**(extras or {}), "gap_s": gap_s, "frames_sampled": len(frames),
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
        cx, cy = s.box.centre
        heat[min(GRID - 1, max(0, int(cy * GRID)))][min(GRID - 1, max(0, int(cx * GRID)))] += s.seconds
        sizes[size_bucket(s.box.width)] += s.seconds
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
