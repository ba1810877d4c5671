"""Report v1 rules on hand-made detections with known answers: the interval rule, gap merging,
shares, solus and clutter, prominence, heatmap and size histogram, the schema and the tables; the
model's held-out evaluation and the ranges it implies; the comparison with true screen times."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pydantic
import pytest

from shared.detections import Detections
from shared.report.build import build_report, frame_intervals, prominence
from shared.report.compare import TruthError, compare, parse_truth
from shared.report.quality import wilson
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
    # First/last seen follow the interval rule: the first appearance's start, the last one's end
    assert (a["first_seen_s"], a["last_seen_s"]) == (0.75, 4.6)
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
                 "first_seen_s": None, "last_seen_s": None, "mean_confidence": None, "mean_area_pct": None,
                 "uncertainty": {"estimate_s": None, "low_s": None, "high_s": None, "near_threshold_s": 0.0}}
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


def test_first_seen_is_the_same_figure_in_the_report_and_both_tables():
    # Given A sampled at 1.0 s and 1.5 s at 2 fps: it stands for 0.75-1.75 s
    r = _report([frame(t / 2, (_a(),) if t in (2, 3) else ()) for t in range(8)], duration=4.0)
    a = _brand(r, "A")
    row = brands_table(r).iloc[0]
    first = appearances_table(r).iloc[0]
    assert a["first_seen_s"] == row["first_seen_s"] == first["start_s"] == 0.75
    assert a["last_seen_s"] == row["last_seen_s"] == first["end_s"] == 1.75
    # A report written when first/last seen were sample times reads the same in the tables
    old = copy.deepcopy(r)
    _brand(old, "A").update(first_seen_s=1.0, last_seen_s=1.5)
    assert brands_table(old).iloc[0][["first_seen_s", "last_seen_s"]].tolist() == [0.75, 1.75]


# -- how sure: the model's held-out evaluation in the report ----------------------------------------------------

def _metrics(f1=0.9, threshold=0.5, **per_label):
    return {"f1": f1, "precision": 0.9, "recall": 0.9, "threshold": threshold, "test_images": 20,
            "per_label": {k: {"precision": tp / (tp + fp) if tp + fp else 0.0, "recall": tp / (tp + fn) if tp + fn else 1.0,
                              "f1": 2 * tp / (2 * tp + fp + fn) if tp else 0.0, "tp": tp, "fp": fp, "fn": fn}
                          for k, (tp, fp, fn) in per_label.items()}}


def _judged(metrics, frames=None, duration=10.0, min_confidence=0.5, version=3):
    frames = frames or [frame(t / 2, (_a(),)) for t in range(2, 10)]  # A for 4 s, from 0.75 s
    return build_report(frames, duration_s=duration, width=W, height=H, fps=25.0, sampled_fps=2.0,
                        model={**MODEL, "version": version}, min_confidence=min_confidence, labels=("A", "B", "C"),
                        gap_s=1.0, evaluation=metrics)


def test_a_label_without_a_held_out_example_is_unverified_and_says_so():
    r = _judged(_metrics(A=(18, 1, 1), B=(0, 3, 0), C=(5, 0, 0)))
    validate_report(r)
    ev = r["model"]["evaluation"]
    assert (ev["f1"], ev["test_images"], ev["weak_below_f1"]) == (0.9, 20, 0.8)
    assert ev["per_label"]["B"] == {"precision": 0.0, "recall": None, "f1": None, "examples": 0, "tp": 0, "fp": 3,
                                    "fn": 0}
    assert r["model"]["warnings"] == ["B: no held-out example — its screen time is unverified"]
    assert _brand(r, "B")["uncertainty"]["low_s"] is None and _brand(r, "A")["uncertainty"]["low_s"] is not None


def test_weak_models_weak_labels_and_another_threshold_are_warned_of():
    r = _judged(_metrics(f1=0.46, threshold=0.5, A=(18, 1, 1), B=(3, 2, 4)), min_confidence=0.3)
    assert r["model"]["warnings"] == [
        "model logos v3 is weak: held-out F1 0.46 (precision 0.90, recall 0.90; below 0.80); screen times may be "
        "far off, see their ranges",
        "the held-out figures were taken at confidence 0.5, this analysis kept detections at 0.3: they describe it "
        "only roughly",
        "B: weak on held-out images (F1 0.50, precision 0.60, recall 0.43) — its screen time is uncertain",
        "C: no held-out example — its screen time is unverified"]  # C is not in the evaluation at all
    # A text-only model (nothing held out) is unverified as a whole
    r = _judged({"f1": 0.0, "precision": 0.0, "recall": 0.0, "threshold": 0.5, "test_images": 0})
    assert r["model"]["evaluation"] is None
    assert r["model"]["warnings"] == ["model logos v3 has no held-out evaluation: every screen time here is unverified"]
    assert _judged(None)["model"]["warnings"] == r["model"]["warnings"]


def test_wilson_interval_matches_published_values():
    assert wilson(5, 10) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    assert wilson(9, 12) == pytest.approx((0.4677, 0.9111), abs=1e-4)
    assert wilson(0, 0) == (0.0, 1.0)


def test_range_of_true_screen_time_from_held_out_precision_and_recall():
    # A seen for 4 s; held out: 9 found, 1 false, 3 missed -> precision 0.9 (9 of 10), recall 0.75 (9 of 12)
    u = _brand(_judged(_metrics(A=(9, 1, 3))), "A")["uncertainty"]
    assert u["estimate_s"] == pytest.approx(4 * 0.9 / 0.75, abs=1e-3)
    # 95 % Wilson: precision 0.5958-0.9821, recall 0.4677-0.9111
    assert u["low_s"] == pytest.approx(4 * 0.5958 / 0.9111, abs=2e-3)
    assert u["high_s"] == pytest.approx(4 * 0.9821 / 0.4677, abs=2e-3)
    # Ten times the held-out examples, the same rates: a narrower range around the same estimate
    v = _brand(_judged(_metrics(A=(90, 10, 30))), "A")["uncertainty"]
    assert v["estimate_s"] == u["estimate_s"] and u["low_s"] < v["low_s"] < v["high_s"] < u["high_s"]
    # Never found on held-out images: no estimate, and the true time could be anything up to the video's length
    w = _brand(_judged(_metrics(A=(0, 2, 5))), "A")["uncertainty"]
    assert (w["estimate_s"], w["low_s"], w["high_s"]) == (None, 0.0, 10.0)


def test_rekognition_figures_without_counts_are_rebuilt_from_its_test_images():
    metrics = {"f1": 0.67, "precision": 0.75, "recall": 0.6, "threshold": 0.5, "test_images": 10, "per_label": {
        "A": {"precision": 0.75, "recall": 0.6, "f1": 0.667, "test_images": 10}}}
    r = _judged(metrics)
    assert r["model"]["evaluation"]["per_label"]["A"] == {"precision": 0.75, "recall": 0.6, "f1": 0.667,
                                                          "examples": 10, "tp": 6, "fp": 2, "fn": 4}
    assert _brand(r, "A")["uncertainty"]["estimate_s"] == pytest.approx(4 * 0.75 / 0.6, abs=1e-3)


def test_seconds_near_the_threshold_are_counted():
    frames = [frame(0.0, (_a(0.55),)), frame(0.5, (_a(0.59),)), frame(1.0, (_a(0.6),)), frame(1.5, (_a(0.95),))]
    # the first two frames are below 0.6 (0.25 s, clipped at 0, and 0.5 s)
    assert _brand(_judged(None, frames, duration=2.0), "A")["uncertainty"]["near_threshold_s"] == 0.75


def test_the_tables_carry_the_range():
    row = brands_table(_judged(_metrics(A=(9, 1, 3)))).iloc[0]
    assert row["true_low_s"] < row["screen_time_s"] < row["true_high_s"]
    assert pd.isna(brands_table(_judged(None)).iloc[0]["true_low_s"])


# -- the schema file: old and new reports ------------------------------------------------------------------------

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "docs" / "report-v1.schema.json"

#: A report as the first v1 reports were written: no quality fields, first/last seen as sample times.
OLD_REPORT = {
    "schema": "brandvis.report/v1",
    "video": {"duration_s": 4.0, "width": 1280, "height": 720, "fps": 25.0, "sampled_fps": 2.0},
    "model": {"name": "logos", "backend": "local", "min_confidence": 0.5},
    "brands": [{"label": "A", "screen_time_s": 1.0, "share_of_screen_time": 1.0,
                "appearances": [{"start_s": 0.75, "end_s": 1.75}], "first_seen_s": 1.0, "last_seen_s": 1.5,
                "mean_confidence": 0.9, "mean_area_pct": 2.0}],
    "frames": [{"t_s": 1.0, "labels": [{"label": "A", "confidence": 0.9,
                                        "box": {"left": 0.1, "top": 0.1, "width": 0.2, "height": 0.1}}]}],
    "extras": {"gap_s": 1.0}}


def test_the_schema_file_is_generated_and_accepts_old_and_new_reports():
    import jsonschema

    schema = json.loads(SCHEMA_FILE.read_text())
    assert schema == json_schema(), "regenerate docs/report-v1.schema.json from shared/report/schema.py"
    new = _judged(_metrics(A=(9, 1, 3), B=(0, 3, 0)))
    for report in (OLD_REPORT, new):
        validate_report(report)
        jsonschema.validate(report, schema)
    broken = copy.deepcopy(new)
    broken["brands"][0]["uncertainty"]["low_s"] = -1
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)
    with pytest.raises(pydantic.ValidationError, match="uncertainty.low_s"):
        validate_report(broken)


# -- against the truth (brandvis report --truth) -----------------------------------------------------------------

def test_compare_reports_errors_per_brand_the_mean_absolute_error_and_false_seconds():
    # A for 4 s, B for 1 s (B is absent in truth: every second false), C never
    frames = [frame(t / 2, (_a(),) + ((label("B", 0.8, box(0.6, 0.6, 0.1, 0.1)),) if t < 4 else ())) for t in range(2, 10)]
    r = _judged(_metrics(A=(9, 1, 3), B=(5, 0, 0), C=(5, 0, 0)), frames)
    truth = parse_truth(json.dumps({"screen_time_s": {"A": 5.0, "B": 0.0, "C": 2.0, "D": 3.0}, "absent": ["B"]}))
    result = compare(r, truth)
    rows = {row["label"]: row for row in result["brands"]}
    assert rows["A"] == {"label": "A", "present": True, "reported_s": 4.0, "true_s": 5.0, "error_s": -1.0,
                         "error_pct": -20.0, "true_in_range": True}
    assert (rows["C"]["error_s"], rows["C"]["error_pct"], rows["C"]["true_in_range"]) == (-2.0, -100.0, False)
    assert (rows["B"]["present"], rows["B"]["error_pct"]) == (False, None)
    assert rows["D"]["reported_s"] is None  # the model does not know D
    assert result["mean_abs_error_pct"] == 60.0 and result["present_brands"] == 2  # (20 + 100) / 2
    assert result["absent_reported_s"] == {"B": 1.0} and result["absent_reported_total_s"] == 1.0
    assert result["not_in_model"] == ["D"] and result["not_in_truth"] == []


@pytest.mark.parametrize("text,message", [
    ("{not json", "match.truth.json: not valid JSON (line 1"),
    ('{"screen_time": {}}', 'match.truth.json: no "screen_time_s" object; expected {"screen_time_s"'),
    ('{"screen_time_s": {"A": "ten"}}', 'match.truth.json: screen_time_s.A is "ten", not a number of seconds >= 0'),
    ('{"screen_time_s": {"A": -1}}', "screen_time_s.A is -1, not a number of seconds >= 0"),
    ('{"screen_time_s": {"A": 1}, "absent": "A"}', '"absent" must be a list of brand names'),
    ('{"screen_time_s": {"A": 1}, "absent": ["A"]}', "A listed as absent but with screen time above 0"),
])
def test_a_bad_truth_file_is_named_in_one_line(text, message):
    with pytest.raises(TruthError) as caught:
        parse_truth(text, "match.truth.json")
    assert message in str(caught.value) and "\n" not in str(caught.value)
