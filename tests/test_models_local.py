"""The local backend: detections shape, a train -> detect round trip, concept mode, evaluation."""

from __future__ import annotations

import numpy as np
import pytest

from shared.detections import Detections, box_iou
from shared.models.local.base import load_base
from shared.models.local.detector import LocalDetector
from shared.models.local.trainer import LabeledImage, train_head
from shared.models.metrics import Truth, evaluate
from devtools.synth.benchmark import make_benchmark


@pytest.fixture(scope="module")
def small_bench():
    # No photo backgrounds: the test must not depend on scikit-image's sample images.
    return make_benchmark(seed=3, n_train=40, n_test=60, photos=[])


def test_detections_round_trip_through_the_rekognition_shape():
    det = Detections(np.array([[64, 48, 192, 144], [np.nan] * 4], np.float32), [0.9, 0.6], ["Acme", "stadium"], (640, 480))
    resp = det.to_rekognition()
    assert resp["CustomLabels"][0] == {"Name": "Acme", "Confidence": 90.0, "Geometry": {"BoundingBox": {
        "Left": 0.1, "Top": 0.1, "Width": 0.2, "Height": 0.2}}}
    assert "Geometry" not in resp["CustomLabels"][1]  # concept labels have no box
    back = Detections.from_rekognition(resp, 640, 480)
    assert back.labels.tolist() == ["Acme", "stadium"]
    assert np.allclose(back.xyxy[0], [64, 48, 192, 144]) and np.isnan(back.xyxy[1]).all()


def test_nms_and_filtering_are_array_operations():
    det = Detections(np.array([[0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60]], np.float32), [0.9, 0.8, 0.7],
                     ["a", "a", "a"], (100, 100))
    assert len(det.with_nms(0.5)) == 2
    assert det[det.confidence > 0.75].labels.tolist() == ["a", "a"]
    assert box_iou(det.xyxy[:1], det.xyxy[1:2])[0, 0] == pytest.approx(81 / 119, abs=1e-4)
    with pytest.raises(ValueError, match="disagree"):
        Detections(np.zeros((2, 4)), [0.1], ["a", "b"])


def test_presence_metrics_on_known_answers():
    truths = [Truth(["A"], np.array([[0, 0, 40, 20]], np.float32), 640), Truth([], np.zeros((0, 4), np.float32), 640)]
    preds = [Detections(np.array([[2, 2, 38, 18]], np.float32), [0.9], ["A"], (640, 360)),
             Detections(np.array([[5, 5, 30, 30]], np.float32), [0.9], ["B"], (640, 360))]
    r = evaluate(preds, truths, ["A", "B"])
    assert (r.presence["tp"], r.presence["fp"], r.presence["fn"]) == (1, 1, 0)
    assert r.recall_by_size["<8%"] == 1.0 and r.mean_iou == pytest.approx(0.72, abs=0.01)


def test_train_then_detect_finds_the_brands_and_ignores_most_distractors(small_bench):
    # Given 40 labeled frames of a generated benchmark
    labels = [b.name for b in small_bench.brands]
    train = [LabeledImage(f.image, [(i.label, i.box) for i in f.instances if i.is_brand]) for f in small_bench.train]
    # When a head is trained on the shipped base model (seconds, not minutes)
    head = train_head(train, labels, load_base(), synthetic=150)
    # Then on unseen frames it finds brands well above chance (a loose floor: the bench has the figures)
    detector = LocalDetector(head)
    preds = [detector.detect(f.image, 0.5) for f in small_bench.test]
    truths = [Truth([i.label for i in f.instances if i.is_brand],
                    np.array([i.box for i in f.instances if i.is_brand], np.float32).reshape(-1, 4), 640)
              for f in small_bench.test]
    report = evaluate(preds, truths, labels)
    assert report.presence["f1"] >= 0.4, report.presence
    assert report.recall_by_size[">15%"] >= 0.5
    rek = preds[0].to_rekognition()["CustomLabels"]
    assert all(0 <= item["Geometry"]["BoundingBox"]["Left"] <= 1 for item in rek)


def test_a_head_runs_on_the_base_model_it_was_trained_on(small_bench):
    # A newer default base must not silently feed an older head features it was never fitted on.
    from shared.models.local.base import DEFAULT_BASE
    from shared.models.local.head import Head, candidates

    assert DEFAULT_BASE != "base-v1"
    image = small_bench.test[0].image
    old = load_base("base-v1")
    dim = candidates(old.run(image), 0.0).features.shape[1]
    rng = np.random.default_rng(0)
    params = {"mu": np.zeros(dim), "sd": np.ones(dim), "w2": rng.normal(size=(dim, 2)), "b2": np.zeros(2)}
    head = Head.from_bytes(Head(["Acme"], params, "base-v1", min_heat=0.0).to_bytes())
    detector = LocalDetector(head)
    assert detector.base.name == "base-v1"
    expected = LocalDetector(head, old).detect(image, 0.0)
    got = detector.detect(image, 0.0)
    assert len(got) == len(expected) > 0 and np.allclose(got.confidence, expected.confidence)
