"""A report against the true screen times of its video (`brandvis report JOB --truth FILE`).

The truth file is what `brandvis demo-data` writes beside its video: `{"screen_time_s": {brand:
seconds}, "absent": [brands never on screen]}`. Per brand: reported seconds, true seconds, error
(reported - true) in seconds and in % of the true time, and whether the true time lies in the
range the report gave. Over the brands: the mean absolute % error of the present brands (a true
time above 0) and the seconds reported for absent ones, which are all false.
"""

from __future__ import annotations

import json
import math
from typing import Any, Mapping

SHAPE = '{"screen_time_s": {brand: seconds}, "absent": [brand, ...]}'


class TruthError(ValueError):
    """The truth file is not the shape `--truth` reads (the message says where)."""


def parse_truth(text: str, name: str = "truth file") -> dict[str, Any]:
    """The truth as {"screen_time_s": {brand: float}, "absent": [brand]}, or TruthError naming the problem."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TruthError(f"{name}: not valid JSON (line {exc.lineno}: {exc.msg}); expected {SHAPE}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("screen_time_s"), dict):
        raise TruthError(f'{name}: no "screen_time_s" object; expected {SHAPE}')
    times = {}
    for brand, value in doc["screen_time_s"].items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            raise TruthError(f"{name}: screen_time_s.{brand} is {json.dumps(value)}, not a number of seconds >= 0")
        times[brand] = float(value)
    absent = doc.get("absent", [])
    if not isinstance(absent, list) or not all(isinstance(b, str) for b in absent):
        raise TruthError(f'{name}: "absent" must be a list of brand names')
    clash = [b for b in absent if times.get(b, 0.0) > 0]
    if clash:
        raise TruthError(f"{name}: {', '.join(clash)} listed as absent but with screen time above 0")
    return {"screen_time_s": times, "absent": list(absent)}


def compare(report: Mapping[str, Any], truth: Mapping[str, Any]) -> dict[str, Any]:
    """Per brand of the truth, reported vs true; then the summary figures. A brand the model does
    not know has no reported time (null) and counts in neither figure."""
    reported = {b["label"]: b for b in report["brands"]}
    absent = set(truth.get("absent", [])) | {b for b, s in truth["screen_time_s"].items() if s == 0}
    rows = []
    for brand in sorted(set(truth["screen_time_s"]) | absent, key=lambda b: (-truth["screen_time_s"].get(b, 0.0), b)):
        true_s = truth["screen_time_s"].get(brand, 0.0)
        row = reported.get(brand)
        got = row["screen_time_s"] if row else None
        u = (row or {}).get("uncertainty") or {}
        low, high = u.get("low_s"), u.get("high_s")
        rows.append({
            "label": brand, "present": brand not in absent, "reported_s": got, "true_s": true_s,
            "error_s": None if got is None else round(got - true_s, 3),
            "error_pct": None if got is None or brand in absent else round(100 * (got - true_s) / true_s, 2),
            "true_in_range": None if got is None or low is None or high is None else bool(low <= true_s <= high)})
    pcts = [abs(r["error_pct"]) for r in rows if r["error_pct"] is not None]
    false_s = {r["label"]: r["reported_s"] for r in rows if not r["present"] and r["reported_s"] is not None}
    return {"brands": rows,
            "mean_abs_error_pct": round(sum(pcts) / len(pcts), 2) if pcts else None,
            "present_brands": len(pcts),
            "absent_reported_s": false_s,
            "absent_reported_total_s": round(sum(false_s.values()), 3),
            "not_in_truth": sorted(set(reported) - set(truth["screen_time_s"]) - absent),
            "not_in_model": sorted(r["label"] for r in rows if r["reported_s"] is None)}
