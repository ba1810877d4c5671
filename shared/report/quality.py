"""How far to trust a report's figures, on the page where they are: the model version's held-out
evaluation, the warnings it calls for, and per brand the range of true screen time it implies.

The method (docs/report.md, "How sure is it"):
- **Held-out figures per label** come from the version's evaluation (`ModelVersion.metrics`):
  presence per (image, label) on images kept out of training, so they speak about the same unit
  screen time counts (a sampled frame with or without the brand). A label with no held-out example
  has no recall to speak of: its screen time is unverified.
- **Range of true screen time**: a brand reported for S seconds has about S x precision seconds
  where it really is, which are a recall's share of its true time T, so T ~ S x precision / recall.
  The range takes the 95 % Wilson intervals of precision (tp of tp + fp) and recall (tp of tp + fn)
  on the held-out counts: [S x p_low / r_high, S x p_high / r_low], clipped to the video. Few
  held-out examples give a wide range, as they should. Rekognition's summary has no counts: they are
  rebuilt from its per-label test images, precision and recall.
- **Near the threshold**: seconds resting on frames whose confidence is within `NEAR_THRESHOLD` of
  `min_confidence` (a slightly stricter threshold would drop them).
"""

from __future__ import annotations

import math
from typing import Any, Iterable, Mapping, Sequence

#: A model version (or a label) with a held-out F1 below this is weak: the report says so.
WEAK_F1 = 0.8
#: 95 % intervals.
Z = 1.96
#: Confidence within this of min_confidence counts as near the threshold.
NEAR_THRESHOLD = 0.1


def wilson(successes: int, n: int, z: float = Z) -> tuple[float, float]:
    """The Wilson score interval of a proportion; (0, 1) when there is nothing to measure."""
    if n <= 0:
        return 0.0, 1.0
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def label_counts(figures: Mapping[str, Any] | None) -> tuple[int, int, int] | None:
    """(tp, fp, fn) of one label on the held-out images, or None when they cannot be known."""
    if not figures:
        return None
    if all(figures.get(k) is not None for k in ("tp", "fp", "fn")):
        return int(figures["tp"]), int(figures["fp"]), int(figures["fn"])
    if figures.get("test_images") is not None:  # Rekognition: images with the label, precision and recall
        n, p, r = int(figures["test_images"]), float(figures.get("precision", 0)), float(figures.get("recall", 0))
        tp = round(r * n)
        return tp, round(tp * (1 - p) / p) if p > 0 else 0, n - tp
    return None


def evaluation(metrics: Mapping[str, Any] | None, labels: Sequence[str]) -> dict[str, Any] | None:
    """The report's `model.evaluation`: None when the version has no held-out evaluation."""
    if not metrics or not metrics.get("test_images"):
        return None
    per_label = {}
    for label in labels:
        figures = (metrics.get("per_label") or {}).get(label) or {}
        counts = label_counts(figures)
        examples = counts[0] + counts[2] if counts else (0 if not figures else None)
        detected = counts[0] + counts[1] if counts else None
        per_label[label] = {
            "precision": None if detected == 0 or not figures else _f(figures.get("precision")),
            "recall": None if examples == 0 or not figures else _f(figures.get("recall")),
            "f1": None if examples == 0 or not figures else _f(figures.get("f1")),
            "examples": examples, "tp": counts[0] if counts else None, "fp": counts[1] if counts else None,
            "fn": counts[2] if counts else None}
    return {"f1": _f(metrics.get("f1", 0.0)), "precision": _f(metrics.get("precision", 0.0)),
            "recall": _f(metrics.get("recall", 0.0)), "threshold": _f(metrics.get("threshold", 0.5)),
            "test_images": int(metrics["test_images"]), "weak_below_f1": WEAK_F1, "per_label": per_label}


def warnings(ev: Mapping[str, Any] | None, model: str, min_confidence: float) -> list[str]:
    """What a reader must know before quoting the figures, one line each (`model`: 'logos v2')."""
    if ev is None:
        return [f"model {model} has no held-out evaluation: every screen time here is unverified"]
    out = []
    if ev["f1"] < WEAK_F1:
        out.append(f"model {model} is weak: held-out F1 {ev['f1']:.2f} (precision {ev['precision']:.2f}, "
                   f"recall {ev['recall']:.2f}; below {WEAK_F1:.2f}); screen times may be far off, see their ranges")
    if abs(ev["threshold"] - min_confidence) > 1e-6:
        out.append(f"the held-out figures were taken at confidence {ev['threshold']:g}, this analysis kept "
                   f"detections at {min_confidence:g}: they describe it only roughly")
    for label, v in ev["per_label"].items():
        if v["examples"] == 0:
            out.append(f"{label}: no held-out example — its screen time is unverified")
        elif v["f1"] is not None and v["f1"] < WEAK_F1:
            out.append(f"{label}: weak on held-out images (F1 {v['f1']:.2f}, precision {_num(v['precision'])}, "
                       f"recall {_num(v['recall'])}) — its screen time is uncertain")
    return out


def evaluation_line(model: Mapping[str, Any]) -> str | None:
    """A report's model block in one line, as the CLI and the Results page show it (None: no evaluation)."""
    ev = model.get("evaluation")
    if not ev:
        return None
    ref = model["name"] + (f" v{model['version']}" if model.get("version") is not None else "")
    return (f"held-out evaluation of {ref}: F1 {ev['f1']:.2f} (precision {ev['precision']:.2f}, recall "
            f"{ev['recall']:.2f}) on {ev['test_images']} images at confidence {ev['threshold']:g}")


def per_label_line(model: Mapping[str, Any]) -> str | None:
    """The held-out figures label by label, in one line (None: no evaluation)."""
    ev = model.get("evaluation")
    if not ev or not ev.get("per_label"):
        return None
    parts = [f"{label} no held-out example" if v["examples"] == 0 else
             f"{label} {_num(v['f1'])} / {_num(v['precision'])} / {_num(v['recall'])}"
             for label, v in ev["per_label"].items()]
    return "held-out F1 / precision / recall per label: " + " · ".join(parts)


def uncertainty(seen: Iterable[tuple[float, float]], label_eval: Mapping[str, Any] | None, *,
                min_confidence: float, duration_s: float) -> dict[str, Any]:
    """A brand's `uncertainty` from its (seconds, confidence) per counted frame."""
    seen = list(seen)
    seconds = sum(s for s, _ in seen)
    near = sum(s for s, c in seen if c < min_confidence + NEAR_THRESHOLD)
    out: dict[str, Any] = {"estimate_s": None, "low_s": None, "high_s": None, "near_threshold_s": _r(near)}
    counts = label_counts(label_eval) if label_eval else None
    if counts is None or counts[0] + counts[2] == 0:
        return out  # unverified: nothing held out to measure this label against
    tp, fp, fn = counts
    p_lo, p_hi = wilson(tp, tp + fp)
    r_lo, r_hi = wilson(tp, tp + fn)
    if tp > 0:
        out["estimate_s"] = _r(min(seconds * (tp / (tp + fp)) / (tp / (tp + fn)), duration_s))
    out["low_s"] = _r(min(seconds * p_lo / r_hi, duration_s))
    out["high_s"] = _r(min(seconds * p_hi / r_lo, duration_s) if r_lo > 0 else duration_s)
    return out


def _f(value: Any) -> float | None:
    return None if value is None else float(value)


def _r(value: float) -> float:
    return float(round(value, 3))


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"
