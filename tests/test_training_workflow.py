"""`brandvis train` through the queues: manifest checks at request time, the train stage, the
model version record, concept mode, and the errors a user sees."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shared.jobs import SUCCEEDED
from shared.models.factory import backend_for
from shared.models.manifest import ManifestError
from shared.models.store import ModelStore
from devtools.synth.benchmark import Frame, export_ground_truth, make_benchmark
from devtools.synth.concepts import make_concepts
from shared.submit import RequestError, Submitter
from tests.conftest import wait_for_job


@pytest.fixture(scope="module")
def object_manifest(tmp_path_factory) -> Path:
    bench = make_benchmark(seed=4, n_train=30, n_test=1, photos=[])
    return export_ground_truth(bench.train, tmp_path_factory.mktemp("objects"))


@pytest.fixture(scope="module")
def concept_manifest(tmp_path_factory) -> Path:
    cs = make_concepts(seed=5, per_class=6)
    return export_ground_truth([Frame(i) for i in cs.images], tmp_path_factory.mktemp("concepts"), kind="concept",
                               concepts=cs.labels)


def test_train_object_model_through_the_queues(clients, store, storage, run_worker, object_manifest):
    run_worker(stages=["collect", "train"])
    # When a user trains from a Ground Truth manifest with relative image paths
    job, mv = Submitter(clients).train(str(object_manifest), "logos")
    done = wait_for_job(store, job.job_id, timeout=300)
    # Then the job succeeded and the version records its backend, labels, metrics and training time
    assert done.status == SUCCEEDED, done.error
    version = ModelStore(clients.dynamodb, clients.names.jobs_table).get_version("logos")
    assert (version.version, version.backend, version.type, version.status) == (1, "local", "object", "TRAINING_COMPLETED")
    assert version.labels == ["Acme", "Borealis", "Cobalt", "Dynamo", "Eclipse"]
    metrics = version.metrics
    assert metrics["test_images"] == 6 and metrics["f1"] > 0  # it found brands on images it never saw
    assert metrics["f1"] == pytest.approx(2 * metrics["precision"] * metrics["recall"]
                                          / (metrics["precision"] + metrics["recall"]), abs=1e-3)
    assert set(metrics["per_label"]) == set(version.labels) and version.training_seconds > 0
    # per label with its counts, so a label absent from the held-out images is not read as recall 1.0;
    # each rate is what its counts say
    for label, m in metrics["per_label"].items():
        assert {"precision", "recall", "f1", "tp", "fp", "fn"} <= set(m), label
        if m["tp"] + m["fp"]:
            assert m["precision"] == pytest.approx(m["tp"] / (m["tp"] + m["fp"]), abs=1e-3), label
        if m["tp"] + m["fn"]:
            assert m["recall"] == pytest.approx(m["tp"] / (m["tp"] + m["fn"]), abs=1e-3), label
    # A few held-out images it got wrong are kept for the Models page, pointing at uploaded images
    misses = version.metrics["extra"]["misses"]
    assert len(misses) <= 6 and all(storage.exists(m["key"]) and (m["missed"] or m["false"]) for m in misses)
    # The normalised manifest points at uploaded images, and the head is stored beside it
    lines = [json.loads(line) for line in storage.get_bytes(version.manifest_key).decode().splitlines()]
    assert len(lines) == 30 and all(line["source-ref"].startswith("s3://brandvis-data/datasets/") for line in lines)
    assert storage.exists(version.handle["artifact"])
    # And the stored model detects
    backend = backend_for("local", clients, storage)
    import cv2

    image = cv2.imread(str(object_manifest.parent / "frame_0001.jpg"))
    assert backend.start(version.handle) == "RUNNING"
    (det,) = backend.detect(version.handle, [image], min_confidence=0.0)
    assert det.image_size == (640, 360)


def test_a_second_training_is_version_2(clients, store, run_worker, concept_manifest):
    # (a concept dataset: versioning is the same for every kind, and it trains in seconds)
    run_worker(stages=["collect", "train"])
    first, _ = Submitter(clients).train(str(concept_manifest), "scenes", kind="concept")
    second, mv = Submitter(clients).train(str(concept_manifest), "scenes", kind="concept")
    assert mv.version == 2
    assert wait_for_job(store, second.job_id, timeout=300).status == SUCCEEDED
    assert [v.version for v in ModelStore(clients.dynamodb, clients.names.jobs_table).list_versions("scenes")] == [2, 1]


def test_concept_model_labels_whole_frames(clients, store, storage, run_worker, concept_manifest):
    run_worker(stages=["collect", "train"])
    job, _ = Submitter(clients).train(str(concept_manifest), "scenes", kind="concept")
    assert wait_for_job(store, job.job_id, timeout=300).status == SUCCEEDED
    version = ModelStore(clients.dynamodb, clients.names.jobs_table).get_version("scenes")
    assert version.type == "concept" and version.metrics["f1"] >= 0.5
    backend = backend_for("local", clients, storage)
    cs = make_concepts(seed=77, per_class=2)
    results = backend.detect(version.handle, cs.images, min_confidence=0.0)
    top = [r.labels[r.confidence.argmax()] for r in results]
    assert sum(t == truth for t, truth in zip(top, cs.labels)) >= 6  # of 10
    assert "Geometry" not in results[0].to_rekognition()["CustomLabels"][0]


def test_request_errors_name_the_problem(clients, tmp_path, object_manifest):
    requests = Submitter(clients)
    lines = object_manifest.read_text().splitlines()
    broken = object_manifest.parent / "missing.manifest"  # beside the images: relative refs resolve there
    first = json.loads(lines[1])
    first["source-ref"] = "gone.jpg"
    broken.write_text("\n".join([lines[0], json.dumps(first)] + lines[2:]))
    with pytest.raises(ManifestError, match="line 2: image not found: .*gone.jpg"):
        requests.train(str(broken), "x")
    with pytest.raises(RequestError, match="model name 'bad name!'"):
        requests.train(str(object_manifest), "bad name!")
    with pytest.raises(RequestError, match="rekognition backend runs on AWS"):
        requests.train(str(object_manifest), "x", backend="rekognition")
    with pytest.raises(RequestError, match="unknown type 'segmentation'; accepted: object, concept"):
        requests.train(str(object_manifest), "x", kind="segmentation")
    with pytest.raises(RequestError, match="no such file"):
        requests.train(str(tmp_path / "nope.manifest"), "x")
