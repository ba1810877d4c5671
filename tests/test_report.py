"""Report v1 rules on hand-made detections with known answers: the interval rule, gap merging,
shares, solus and clutter, prominence, heatmap and size histogram, the schema and the tables."""

from __future__ import annotations

import copy

import pydantic
import pytest

import numpy as np

from shared.detections import Detections
from shared.report.build import build_report, frame_intervals, prominence
from shared.report.schema import json_schema, validate_report
from shared.report.tables import appearances_table, brands_table

MODEL = {"name": "logos", "backend": "local"}
W, H = 1280, 720


def box(left, top, width, height):
    """A box as a fraction of the frame, as Rekognition gives it."""
    return (left, top, width, height)


def label(name, confidence, where=None):
    return (name, confidence, where)


def frame(t, labels=()):
    """One sampled frame's detections, in pixels of a 1280x720 frame (the one box type)."""
    rows = []
    for _, _, where in labels:
        left, top, w, h = where or (np.nan,) * 4
        rows.append([left * W, top * H, (left + w) * W, (top + h) * H])
    return t, Detections(np.array(rows).reshape(-1, 4), [c for _, c, _ in labels], [n for n, _, _ in labels], (W, H))


def _report(frames, duration=5.0, fps=2.0, labels=("A", "B", "C"), gap=1.0, min_confidence=0.5):
    return build_report(frames, duration_s=duration, width=1280, height=720, fps=25.0, sampled_fps=fps, model=MODEL,
                        min_confidence=min_confidence, labels=labels, gap_s=gap)


def _a(conf=0.9, where=box(0.1, 0.1, 0.2, 0.1)):
    return label("A", conf, where)


def _brand(report, label):
    return next(b for b in report["brands"] if b["label"] == label)


def test_each_frame_stands_for_half_a_period_either_side_clipped_to_the_video():
    assert frame_intervals([0.0, 0.5, 4.5], 4.6, 2.0) == [(0.0, 0.25), (0.25, 0.75), (4.25, 4.6)]
    # Keyframes (no rate): midpoints between samples, from 0 to the end
    assert frame_intervals([0.0, 2.0, 10.0], 12.0, None) == [(0.0, 1.0), (1.0, 6.0), (6.0, 12.0)]


def test_screen_time_first_last_seen_and_gap_merging():
    # A at 1.0, 1.5, 2.0 (one run), missed at 2.5, seen at 3.0 (gap 0.5 s < 1 s: same appearance),
    # then again at 4.5 (gap 1.25 s: a new appearance, clipped at the 4.6 s end)
    times = [k / 2 for k in range(10)]
    seen = {1.0, 1.5, 2.0, 3.0, 4.5}
    frames = [frame(t, (_a(),) if t in seen else ()) for t in times]
    r = _report(frames, duration=4.6)
    a = _brand(r, "A")
    assert a["screen_time_s"] == pytest.approx(0.5 * 4 + 0.35)
    assert a["appearances"] == [{"start_s": 0.75, "end_s": 3.25}, {"start_s": 4.25, "end_s": 4.6}]
    assert (a["first_seen_s"], a["last_seen_s"]) == (1.0, 4.5)
    assert a["mean_area_pct"] == pytest.approx(2.0) and a["mean_confidence"] == pytest.approx(0.9)
    # A smaller gap splits the first appearance too
    assert len(_brand(_report(frames, duration=4.6, gap=0.25), "A")["appearances"]) == 3


def test_shares_sum_to_one_and_absent_brands_are_listed_with_zero():
    frames = [frame(0.0, (_a(), label("B", 0.8, box(0.6, 0.6, 0.1, 0.1)))), frame(0.5, (_a(),)), frame(1.0, (_a(),))]
    r = _report(frames, duration=1.25)
    a, b, c = (_brand(r, k) for k in "ABC")
    assert (a["screen_time_s"], b["screen_time_s"], c["screen_time_s"]) == (1.25, 0.25, 0.0)
    assert a["share_of_screen_time"] == pytest.approx(1.25 / 1.5, abs=1e-4)
    assert b["share_of_screen_time"] == pytest.approx(0.25 / 1.5, abs=1e-4)
    assert c == {"label": "C", "screen_time_s": 0.0, "share_of_screen_time": 0.0, "appearances": [],
                 "first_seen_s": None, "last_seen_s": None, "mean_confidence": None, "mean_area_pct": None}
    assert [x["label"] for x in r["brands"]] == ["A", "B", "C"]  # by screen time


def test_below_min_confidence_does_not_count_and_a_brand_counts_once_per_frame():
    frames = [frame(0.0, (_a(0.4),)), frame(0.5, (_a(0.6), _a(0.95, box(0.5, 0.5, 0.4, 0.4))))]
    r = _report(frames, duration=1.0)
    a = _brand(r, "A")
    assert a["screen_time_s"] == 0.5  # only the 0.5 s frame, once
    assert a["mean_confidence"] == 0.95 and a["mean_area_pct"] == pytest.approx(16.0)
    assert [len(f["labels"]) for f in r["frames"]] == [0, 2]  # frames keep every box above the threshold


def test_solus_clutter_heatmap_and_size_histogram():
    centre = box(0.45, 0.45, 0.1, 0.1)  # 10 % wide, centre cell (4, 4)
    corner = box(0.0, 0.0, 0.05, 0.05)  # 5 % wide, cell (0, 0)
    frames = [frame(0.0, (label("A", 1.0, centre),)),
              frame(0.5, (label("A", 1.0, centre), label("B", 0.9, corner))),
              frame(1.0, (label("A", 1.0, corner), label("B", 0.9, corner), label("C", 0.7, centre)))]
    r = _report(frames, duration=1.25)
    x = r["extras"]["brands"]["A"]
    assert x["solus_time_s"] == 0.25
    # frames stand for 0.25 s, 0.5 s and 0.5 s
    assert x["clutter"] == {"mean_other_brands": 1.0, "shared_seconds": {"B": 1.0, "C": 0.5}}
    assert x["heatmap"][4][4] == 0.75 and x["heatmap"][0][0] == 0.5 and sum(map(sum, x["heatmap"])) == 1.25
    assert x["size_histogram"]["8-15%"] == 0.75 and x["size_histogram"]["4-8%"] == 0.5
    assert r["extras"]["brands"]["C"]["solus_time_s"] == 0.0
    assert r["extras"]["seconds_with_any_brand"] == 1.25
    assert x["share_of_video"] == 1.0


def test_prominence_is_size_times_centrality_times_confidence():
    assert prominence(box(0.5 - 0.1581, 0.5 - 0.1581, 0.3162, 0.3162), 1.0) == pytest.approx(100, abs=0.1)
    assert prominence(box(0.45, 0.45, 0.1, 0.1), 0.5) == pytest.approx(100 * (0.01 / 0.1) ** 0.5 * 0.5, abs=1e-6)
    assert prominence(box(0.0, 0.0, 0.0, 0.0), 1.0) == 0.0  # a point in the corner
    assert prominence(None, 1.0) is None  # concept labels have no box
    frames = [frame(0.0, (_a(1.0, box(0.45, 0.45, 0.1, 0.1)),)), frame(0.5, (_a(1.0, box(0.0, 0.0, 0.1, 0.1)),))]
    app = _report(frames, duration=1.0)["extras"]["brands"]["A"]["appearances"][0]
    corner = 100 * (0.01 / 0.1) ** 0.5 * (1 - ((0.45 ** 2) * 2) ** 0.5 / (0.5 * 2 ** 0.5))
    assert app["prominence"] == pytest.approx((100 * (0.01 / 0.1) ** 0.5 + corner) / 2, abs=0.01)


def test_concept_labels_have_no_geometry_fields():
    frames = [(0.0, Detections.from_rekognition({"CustomLabels": [{"Name": "A", "Confidence": 80.0}]}, W, H))]
    r = _report(frames, duration=0.5)
    a, x = _brand(r, "A"), r["extras"]["brands"]["A"]
    assert a["mean_confidence"] == 0.8 and a["mean_area_pct"] is None
    assert x["heatmap"] is None and x["size_histogram"] is None and x["prominence"] is None
    assert r["frames"][0]["labels"] == [{"label": "A", "confidence": 0.8, "box": None}]


def test_rekognition_responses_report_as_they_came():
    found = Detections.from_rekognition({"CustomLabels": [{"Name": "A", "Confidence": 91.5, "Geometry": {
        "BoundingBox": {"Left": 0.1, "Top": 0.2, "Width": 0.3, "Height": 0.4}}}]}, W, H)
    r = _report([(1.5, found)], duration=2.0)
    assert r["frames"][0]["labels"] == [{"label": "A", "confidence": 0.915,
                                         "box": {"left": 0.1, "top": 0.2, "width": 0.3, "height": 0.4}}]


def test_the_schema_accepts_reports_and_names_what_breaks_them():
    frames = [frame(0.0, (_a(),)), frame(0.5)]
    report = _report(frames, duration=1.0)
    validate_report(report)
    for path, value, where in [(("schema",), "brandvis.report/v2", "schema"),
                               (("video", "width"), "1280", "video.width"),
                               (("brands", 0, "share_of_screen_time"), 1.5, "brands.0.share_of_screen_time")]:
        broken = copy.deepcopy(report)
        target = broken
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        with pytest.raises(pydantic.ValidationError, match=where.replace(".", r"\.")):
            validate_report(broken)
    extra = copy.deepcopy(report)
    extra["brands"][0]["colour"] = "red"
    with pytest.raises(pydantic.ValidationError, match="colour"):
        validate_report(extra)
    assert json_schema()["properties"]["schema"]["const"] == "brandvis.report/v1"


def test_tables_have_one_row_per_brand_and_per_exposure():
    frames = [frame(t, (_a(),) if t in (0.0, 0.5, 3.0) else ()) for t in (k / 2 for k in range(8))]
    r = _report(frames, duration=4.0)
    brands = brands_table(r)
    assert list(brands["label"]) == ["A", "B", "C"] and list(brands["appearances"]) == [2, 0, 0]
    apps = appearances_table(r)
    assert apps[["label", "appearance", "start_s", "end_s", "frames"]].values.tolist() == [
        ["A", 1, 0.0, 0.75, 2], ["A", 2, 2.75, 3.25, 1]]
    assert apps["duration_s"].tolist() == [0.75, 0.5]
