"""RekognitionBackend against botocore's Stubber: moto has no Rekognition Custom Labels.

Requests and responses follow the documented shapes; botocore validates both against its service
model, so a misspelt parameter fails here as it would against AWS. Nothing leaves the process.
"""

from __future__ import annotations

import io
import json
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterator

import boto3
import numpy as np
import pytest
from botocore.config import Config
from botocore.response import StreamingBody
from botocore.stub import Stubber

from shared.errors import RetryLater
from shared.models.backend import (RUNNING, STARTING, STOPPING, TRAINING_COMPLETED, TRAINING_FAILED,
                                   TRAINING_IN_PROGRESS, BackendError)
from shared.models.dataset import Box, Dataset, Item
from shared.models.rekognition import RekognitionBackend

BUCKET = "brandvis-data"
PROJECT_ARN = "arn:aws:rekognition:us-east-1:123456789012:project/brandvis-acme/1700000000000"
VERSION_ARN = "arn:aws:rekognition:us-east-1:123456789012:project/brandvis-acme/version/v1/1700000000001"
MANIFEST_KEY = "models/acme/v1/train.manifest"
OUTPUT_PREFIX = "models/acme/v1/rekognition/"
SUMMARY_KEY = OUTPUT_PREFIX + "EvaluationResultSummary-brandvis-acme-v1.json"
HANDLE = {"backend": "rekognition", "project_arn": PROJECT_ARN, "version_arn": VERSION_ARN, "version_name": "v1"}
CREATED = datetime(2024, 5, 1, 10, 0, tzinfo=timezone.utc)

# The documented summary file format (im-summary-file.html): aggregate figures under "Metrics".
SUMMARY = {
    "Version": 1,
    "EvaluationDetails": {"ProjectVersionArn": VERSION_ARN, "EvaluationEndTimestamp": "2024-05-01T11:02:13.000000",
                          "Labels": ["acme", "globex"], "NumberOfTrainingImages": 160, "NumberOfTestingImages": 40},
    "AggregatedEvaluationResults": {"Metrics": {"Precision": 0.92, "Recall": 0.88, "F1Score": 0.9,
                                                "AveragePrecision": 0.87, "AverageRecall": 0.85}},
    "LabelEvaluationResults": [
        {"Label": "acme", "NumberOfTestingImages": 25,
         "Metrics": {"Threshold": 0.6, "Precision": 0.95, "Recall": 0.9, "F1Score": 0.925}},
        {"Label": "globex", "NumberOfTestingImages": 15,
         "Metrics": {"Threshold": 0.4, "Precision": 0.88, "Recall": 0.85, "F1Score": 0.865}},
    ],
}


@dataclass
class Aws:
    backend: RekognitionBackend
    rekognition: Stubber
    s3: Stubber

    def error(self, method: str, code: str, message: str = "", status: int = 400, params: Any = None) -> None:
        self.rekognition.add_client_error(method, service_error_code=code, service_message=message or code,
                                          http_status_code=status, expected_params=params)

    def describe(self, status: str, message: str = "", **extra: Any) -> None:
        description = {"ProjectVersionArn": VERSION_ARN, "CreationTimestamp": CREATED, "Status": status,
                       "StatusMessage": message or f"The model is {status.lower()}.",
                       "OutputConfig": {"S3Bucket": BUCKET, "S3KeyPrefix": OUTPUT_PREFIX}, **extra}
        self.rekognition.add_response("describe_project_versions", {"ProjectVersionDescriptions": [description]},
                                      {"ProjectArn": PROJECT_ARN, "VersionNames": ["v1"]})

    def verify(self) -> None:
        self.rekognition.assert_no_pending_responses()
        self.s3.assert_no_pending_responses()


@pytest.fixture
def aws() -> Iterator[Aws]:
    offline = {"region_name": "us-east-1", "aws_access_key_id": "testing", "aws_secret_access_key": "testing",
               "config": Config(retries={"max_attempts": 1})}
    rekognition, s3 = boto3.client("rekognition", **offline), boto3.client("s3", **offline)
    backend = RekognitionBackend(rekognition, s3, BUCKET)
    backend.retry_delays = (0, 0, 0)  # keep detect's throttling retries instant
    with Stubber(rekognition) as rek_stub, Stubber(s3) as s3_stub:
        yield Aws(backend, rek_stub, s3_stub)


def dataset(kind: str = "object") -> Dataset:
    item = (Item("s3://brandvis-data/frames/0001.jpg", 640, 480, boxes=[Box("acme", 10, 20, 100, 50)])
            if kind == "object" else Item("s3://brandvis-data/frames/0001.jpg", 640, 480, labels=["acme"]))
    return Dataset(kind, ["acme"], [item])


def training_request(version_name: str = "v1") -> dict[str, Any]:
    return {"ProjectArn": PROJECT_ARN, "VersionName": version_name,
            "OutputConfig": {"S3Bucket": BUCKET, "S3KeyPrefix": OUTPUT_PREFIX},
            "TrainingData": {"Assets": [{"GroundTruthManifest": {"S3Object": {"Bucket": BUCKET,
                                                                              "Name": MANIFEST_KEY}}}]},
            "TestingData": {"AutoCreate": True}}


def summary_object(summary: dict[str, Any]) -> dict[str, Any]:
    data = json.dumps(summary).encode()
    return {"Body": StreamingBody(io.BytesIO(data), len(data)), "ContentLength": len(data),
            "ContentType": "application/json"}


def detect_params(key: str = "f0.jpg", min_confidence: float = 50.0) -> dict[str, Any]:
    return {"ProjectVersionArn": VERSION_ARN, "Image": {"S3Object": {"Bucket": BUCKET, "Name": key}},
            "MinConfidence": min_confidence}


# -- the whole cycle -----------------------------------------------------------------------------
def test_train_evaluate_start_detect_stop(aws: Aws) -> None:
    backend = aws.backend
    # Given a new model: no project yet, training accepted
    aws.rekognition.add_response("create_project", {"ProjectArn": PROJECT_ARN}, {"ProjectName": "brandvis-acme"})
    aws.rekognition.add_response("create_project_version", {"ProjectVersionArn": VERSION_ARN}, training_request())
    # When training starts
    handle = backend.train("acme", "v1", dataset(), MANIFEST_KEY, OUTPUT_PREFIX)
    # Then the handle names the project and version for the later stages
    assert handle == HANDLE

    # Given Rekognition still training, then done
    aws.describe(TRAINING_IN_PROGRESS)
    aws.describe(TRAINING_COMPLETED, "The model is ready to run.", BillableTrainingTimeInSeconds=3120,
                 EvaluationResult={"F1Score": 0.9, "Summary": {"S3Object": {"Bucket": BUCKET, "Name": SUMMARY_KEY}}})
    # When the train stage polls twice
    first, second = backend.training_state(handle), backend.training_state(handle)
    # Then it waits, then moves on
    assert (first.status, first.done) == (TRAINING_IN_PROGRESS, False)
    assert (second.status, second.done, second.failed) == (TRAINING_COMPLETED, True, False)

    # Given the summary file the version points at
    aws.describe(TRAINING_COMPLETED,
                 EvaluationResult={"F1Score": 0.9, "Summary": {"S3Object": {"Bucket": BUCKET, "Name": SUMMARY_KEY}}})
    aws.s3.add_response("get_object", summary_object(SUMMARY), {"Bucket": BUCKET, "Key": SUMMARY_KEY})
    # When the evaluation is read
    metrics = backend.evaluation(handle)
    # Then overall and per-label figures come from the file, the threshold as the labels' mean
    assert (metrics.f1, metrics.precision, metrics.recall, metrics.test_images) == (0.9, 0.92, 0.88, 40)
    assert metrics.threshold == pytest.approx(0.5)
    assert metrics.per_label["acme"] == {"precision": 0.95, "recall": 0.9, "f1": 0.925, "threshold": 0.6,
                                         "test_images": 25}
    assert metrics.per_label["globex"]["test_images"] == 15
    assert metrics.extra == {"average_precision": 0.87, "average_recall": 0.85, "training_images": 160}

    # When the model is started and polled
    aws.rekognition.add_response("start_project_version", {"Status": STARTING},
                                 {"ProjectVersionArn": VERSION_ARN, "MinInferenceUnits": 2})
    aws.describe(RUNNING)
    # Then it reports STARTING, then RUNNING
    assert backend.start(handle, min_inference_units=2) == STARTING
    assert backend.status(handle) == RUNNING

    # Given two stored 640x480 frames and an object-detection answer for each
    aws.rekognition.add_response("detect_custom_labels", {"CustomLabels": [
        {"Name": "acme", "Confidence": 97.5,
         "Geometry": {"BoundingBox": {"Width": 0.2, "Height": 0.2, "Left": 0.1, "Top": 0.1},
                      "Polygon": [{"X": 0.1, "Y": 0.1}, {"X": 0.3, "Y": 0.1}, {"X": 0.3, "Y": 0.3},
                                  {"X": 0.1, "Y": 0.3}]}},
        {"Name": "globex", "Confidence": 61.0,
         "Geometry": {"BoundingBox": {"Width": 0.25, "Height": 0.5, "Left": 0.5, "Top": 0.25}}},
    ]}, detect_params("f0.jpg", 40.0))
    aws.rekognition.add_response("detect_custom_labels", {"CustomLabels": []}, detect_params("f1.jpg", 40.0))
    # When both are sent by reference at 0.4 confidence
    found = backend.detect_stored(handle, BUCKET, ["f0.jpg", "f1.jpg"], (640, 480), min_confidence=0.4)
    # Then the fractions become pixel boxes of each frame, confidences 0..1
    assert len(found) == 2
    assert found[0].labels.tolist() == ["acme", "globex"]
    np.testing.assert_allclose(found[0].xyxy, [[64, 48, 192, 144], [320, 120, 480, 360]], atol=1e-3)
    np.testing.assert_allclose(found[0].confidence, [0.975, 0.61], rtol=1e-6)
    assert found[0].image_size == (640, 480)
    assert len(found[1]) == 0 and found[1].image_size == (640, 480)

    # When the model is stopped
    aws.rekognition.add_response("stop_project_version", {"Status": STOPPING}, {"ProjectVersionArn": VERSION_ARN})
    # Then Rekognition reports it stopping
    assert backend.stop(handle) == STOPPING
    aws.verify()


# -- training ------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["object", "concept"])
def test_both_dataset_types_train_from_the_manifest(aws: Aws, kind: str) -> None:
    # Given a dataset of either type (the manifest says which)
    aws.rekognition.add_response("create_project", {"ProjectArn": PROJECT_ARN}, {"ProjectName": "brandvis-acme"})
    aws.rekognition.add_response("create_project_version", {"ProjectVersionArn": VERSION_ARN}, training_request())
    # When training starts
    handle = aws.backend.train("acme", "v1", dataset(kind), MANIFEST_KEY, OUTPUT_PREFIX)
    # Then the request is the same manifest-based one (the Stubber checked its parameters)
    assert handle["version_arn"] == VERSION_ARN
    aws.verify()


def test_redelivered_training_reuses_project_and_version(aws: Aws) -> None:
    # Given the project and the version both exist already (the message came twice)
    aws.error("create_project", "ResourceInUseException", "The specified resource is already being used.")
    aws.rekognition.add_response("describe_projects", {"ProjectDescriptions": [
        {"ProjectArn": PROJECT_ARN, "CreationTimestamp": CREATED, "Status": "CREATED"}]},
        {"ProjectNames": ["brandvis-acme"]})
    aws.error("create_project_version", "ResourceInUseException", "The specified resource is already being used.",
              params=training_request())
    aws.describe(TRAINING_IN_PROGRESS)
    # When training is started again
    handle = aws.backend.train("acme", "v1", dataset(), MANIFEST_KEY, OUTPUT_PREFIX)
    # Then the same handle comes back and no second version is trained
    assert handle == HANDLE
    aws.verify()


def test_version_names_are_made_valid_for_rekognition(aws: Aws) -> None:
    # Given a version label with characters Rekognition names refuse
    aws.rekognition.add_response("create_project", {"ProjectArn": PROJECT_ARN}, {"ProjectName": "brandvis-acme-corp"})
    aws.rekognition.add_response("create_project_version", {"ProjectVersionArn": VERSION_ARN},
                                 training_request("2024-05-01T10-00-retrain"))
    # When training starts
    handle = aws.backend.train("acme corp", "2024-05-01T10:00 retrain", dataset(), MANIFEST_KEY,
                                        OUTPUT_PREFIX)
    # Then only [a-zA-Z0-9_.-] reached Rekognition, and the handle keeps the name it used
    assert handle["version_name"] == "2024-05-01T10-00-retrain"
    aws.verify()


def test_failed_training_keeps_the_reason(aws: Aws) -> None:
    # Given Rekognition rejected the manifest
    aws.describe(TRAINING_FAILED, "The manifest file contains too many invalid data objects.")
    # When the train stage polls
    state = aws.backend.training_state(HANDLE)
    # Then the job can show the user why
    assert state.done and state.failed
    assert state.message == "The manifest file contains too many invalid data objects."
    aws.verify()


def test_evaluation_reads_the_published_example_layout(aws: Aws) -> None:
    # Given a summary file laid out as the documented example (figures directly under the aggregate)
    example = {
        "Version": 1,
        "AggregatedEvaluationResults": {
            "ConfusionMatrix": [{"GroundTruthLabel": "acme", "PredictedLabel": "acme", "Value": 0.99}],
            "F1Score": 0.97, "Precision": 0.96, "Recall": 0.98},
        "EvaluationDetails": {"EvaluationEndTimestamp": "2024-05-01T11:02:13.000000", "Labels": ["acme"],
                              "NumberOfTestingImages": 12, "NumberOfTrainingImages": 48,
                              "ProjectVersionArn": VERSION_ARN},
        "LabelEvaluationResults": [{"Label": "acme", "Metrics": {"F1Score": 0.97, "Precision": 0.96,
                                                                 "Recall": 0.98, "Threshold": 0.81},
                                    "NumberOfTestingImages": 12}],
    }
    aws.describe(TRAINING_COMPLETED,
                 EvaluationResult={"F1Score": 0.97, "Summary": {"S3Object": {"Bucket": BUCKET, "Name": SUMMARY_KEY}}})
    aws.s3.add_response("get_object", summary_object(example), {"Bucket": BUCKET, "Key": SUMMARY_KEY})
    # When the evaluation is read
    metrics = aws.backend.evaluation(HANDLE)
    # Then the same Metrics come out
    assert (metrics.f1, metrics.precision, metrics.recall, metrics.threshold, metrics.test_images) == (
        0.97, 0.96, 0.98, 0.81, 12)
    assert list(metrics.per_label) == ["acme"]
    aws.verify()


def test_evaluation_of_a_failed_version_says_why(aws: Aws) -> None:
    # Given a version that failed, so has no EvaluationResult
    aws.describe(TRAINING_FAILED, "The manifest file contains too many invalid data objects.")
    # When its evaluation is asked for
    with pytest.raises(BackendError, match="too many invalid data objects"):
        aws.backend.evaluation(HANDLE)
    # Then no summary file was fetched (the S3 stub would have failed on an unexpected call)
    aws.verify()


# -- errors --------------------------------------------------------------------------------------
@pytest.mark.parametrize("code", ["ThrottlingException", "ProvisionedThroughputExceededException",
                                  "LimitExceededException"])
def test_throttled_status_calls_retry_later(aws: Aws, code: str) -> None:
    # Given Rekognition throttles DescribeProjectVersions twice
    aws.error("describe_project_versions", code, status=400)
    aws.error("describe_project_versions", code, status=400)
    # When the train stage and the start-model stage poll
    with pytest.raises(RetryLater) as training:
        aws.backend.training_state(HANDLE)
    with pytest.raises(RetryLater) as running:
        aws.backend.status(HANDLE)
    # Then both messages are re-sent later, training's after longer
    assert training.value.seconds == 60 and running.value.seconds == 30
    assert code in training.value.reason
    aws.verify()


def test_access_denied_is_a_backend_error_saying_what_to_do(aws: Aws) -> None:
    # Given the worker's role may not use Rekognition
    aws.error("create_project", "AccessDeniedException",
              "User: arn:aws:sts::123456789012:assumed-role/brandvis-worker is not authorized", status=400)
    # When training starts
    with pytest.raises(BackendError) as refused:
        aws.backend.train("acme", "v1", dataset(), MANIFEST_KEY, OUTPUT_PREFIX)
    # Then the message names the problem and the fix
    assert "AccessDeniedException" in str(refused.value) and "give the worker's role" in str(refused.value)
    aws.verify()


def test_missing_version_is_a_backend_error(aws: Aws) -> None:
    # Given the version was deleted in the console
    aws.error("stop_project_version", "ResourceNotFoundException", "The resource does not exist.")
    # When the model is stopped
    with pytest.raises(BackendError, match="train the model again"):
        aws.backend.stop(HANDLE)
    aws.verify()


def test_starting_a_model_already_starting_reports_its_status(aws: Aws) -> None:
    # Given a redelivered start-model message while the model is already starting
    aws.error("start_project_version", "ResourceInUseException", "The specified resource is already being used.")
    aws.describe(STARTING)
    # When it is started again
    status = aws.backend.start(HANDLE)
    # Then the current status is reported instead of an error
    assert status == STARTING
    aws.verify()


# -- detect --------------------------------------------------------------------------------------
def test_detect_on_a_model_not_running_retries_later(aws: Aws) -> None:
    # Given the model is still starting
    aws.error("detect_custom_labels", "ResourceNotReadyException", "The requested resource isn't ready.",
              params=detect_params())
    # When a frame is sent
    with pytest.raises(RetryLater) as later:
        aws.backend.detect_stored(HANDLE, BUCKET, ["f0.jpg"], (640, 480))
    # Then the detect message comes back in half a minute
    assert later.value.seconds == 30 and "not running" in later.value.reason
    aws.verify()


def test_detect_absorbs_a_short_throttling_burst(aws: Aws) -> None:
    # Given two throttled answers, then a result
    aws.error("detect_custom_labels", "ThrottlingException", params=detect_params())
    aws.error("detect_custom_labels", "ProvisionedThroughputExceededException", params=detect_params())
    aws.rekognition.add_response("detect_custom_labels", {"CustomLabels": [{"Name": "acme", "Confidence": 88.0}]},
                                 detect_params())
    # When a frame is sent
    found = aws.backend.detect_stored(HANDLE, BUCKET, ["f0.jpg"], (640, 480))
    # Then the third try's result is returned
    assert found[0].labels.tolist() == ["acme"]
    aws.verify()


def test_detect_gives_up_on_long_throttling(aws: Aws) -> None:
    # Given Rekognition throttles every try (one plus three retries)
    for _ in range(4):
        aws.error("detect_custom_labels", "ThrottlingException", params=detect_params())
    # When a frame is sent
    with pytest.raises(RetryLater) as later:
        aws.backend.detect_stored(HANDLE, BUCKET, ["f0.jpg"], (640, 480))
    # Then the message is re-sent later instead of failing
    assert later.value.seconds == 30
    aws.verify()


def test_concept_model_detections_have_no_boxes(aws: Aws) -> None:
    # Given a classification (concept) model: labels without Geometry
    aws.rekognition.add_response("detect_custom_labels", {"CustomLabels": [
        {"Name": "acme", "Confidence": 91.25}, {"Name": "globex", "Confidence": 55.0}]}, detect_params())
    # When a frame is sent
    [found] = aws.backend.detect_stored(HANDLE, BUCKET, ["f0.jpg"], (640, 480))
    # Then labels and confidences come through, with NaN boxes that export without Geometry
    assert found.labels.tolist() == ["acme", "globex"]
    np.testing.assert_allclose(found.confidence, [0.9125, 0.55], rtol=1e-6)
    assert not found.has_boxes.any() and np.isnan(found.xyxy).all()
    assert all("Geometry" not in item for item in found.to_rekognition()["CustomLabels"])
    aws.verify()


def test_detect_with_no_frames_sends_nothing(aws: Aws) -> None:
    # Given no frames at all (no response stubbed: any call would fail the test)
    # When detect is called
    found = aws.backend.detect_stored(HANDLE, BUCKET, [], (640, 480))
    # Then nothing is returned
    assert found == []
    aws.verify()


def test_stored_frames_are_detected_concurrently_and_answered_in_order() -> None:
    class Overlapping:
        """Stands in for the client: the first frame's answer comes only after the last was asked."""

        def __init__(self) -> None:
            self.last_asked = threading.Event()

        def detect_custom_labels(self, ProjectVersionArn: str, Image: dict, MinConfidence: float) -> dict:  # noqa: N803
            key = Image["S3Object"]["Name"]
            if key == "f0" and not self.last_asked.wait(10):
                raise AssertionError("frames were sent one after another")
            if key == "f2":
                self.last_asked.set()
            return {"CustomLabels": [{"Name": key, "Confidence": 90.0}]}

    backend = RekognitionBackend(Overlapping(), None, BUCKET, detect_concurrency=3)
    found = backend.detect_stored(HANDLE, BUCKET, ["f0", "f1", "f2"], (640, 480))
    assert [d.labels.tolist() for d in found] == [["f0"], ["f1"], ["f2"]]
    assert all(d.image_size == (640, 480) for d in found)


# -- text: DetectText for text-only models and as evidence ---------------------------------------
def detect_text_response(*lines: tuple[str, float, tuple[float, float, float, float]]) -> dict[str, Any]:
    """The documented DetectText shape: a LINE per line, a WORD per word (ParentId = its line)."""
    detections, n = [], 0
    for text, confidence, (left, top, width, height) in lines:
        line_id = n
        poly = [{"X": left, "Y": top}, {"X": left + width, "Y": top}, {"X": left + width, "Y": top + height},
                {"X": left, "Y": top + height}]
        detections.append({"DetectedText": text, "Type": "LINE", "Id": line_id, "Confidence": confidence,
                           "Geometry": {"BoundingBox": {"Width": width, "Height": height, "Left": left, "Top": top},
                                        "Polygon": poly}})
        n += 1
        words = text.split()
        for k, word in enumerate(words):
            w = width / len(words)
            detections.append({"DetectedText": word, "Type": "WORD", "Id": n, "ParentId": line_id,
                               "Confidence": confidence,
                               "Geometry": {"BoundingBox": {"Width": w, "Height": height, "Left": left + k * w,
                                                            "Top": top}, "Polygon": poly}})
            n += 1
    return {"TextDetections": detections, "TextModelVersion": "3.0"}


def text_params(key: str) -> dict[str, Any]:
    return {"Image": {"S3Object": {"Bucket": BUCKET, "Name": key}}}


def test_a_text_only_model_trains_nothing_and_reads_brands_with_detect_text(aws: Aws) -> None:
    # Given a text-only model (no AWS call to make one: nothing to train, nothing to start)
    handle = aws.backend.train("brands", "1", Dataset("text", ["voltix", "axiom"], []), "", OUTPUT_PREFIX,
                               words={"axiom": "AXIOM LABS"})
    assert aws.backend.training_state(handle).status == TRAINING_COMPLETED
    assert aws.backend.start(handle) == RUNNING and aws.backend.ready(handle)
    assert handle["texts"]["axiom"]["words"] == ["AXIOM LABS"] and handle["texts"]["voltix"]["words"] == ["voltix"]
    # When a frame reads a board "VOLTIX", a two-line "AXIOM" over "LABS", and a rival "VOLTEK"
    aws.rekognition.add_response("detect_text", detect_text_response(
        ("VOLTIX", 99.1, (0.1, 0.1, 0.2, 0.05)), ("AXIOM", 97.0, (0.5, 0.5, 0.2, 0.06)),
        ("LABS", 95.0, (0.55, 0.57, 0.1, 0.03)), ("VOLTEK", 98.0, (0.1, 0.8, 0.2, 0.05))), text_params("f0.jpg"))
    [found] = aws.backend.detect_stored(handle, BUCKET, ["f0.jpg"], (1000, 500))
    # Then the brands are boxed by their lines (the two lines as one), the rival is not a brand
    assert sorted(found.labels.tolist()) == ["axiom", "voltix"]
    boxes = dict(zip(found.labels.tolist(), found.xyxy.tolist()))
    np.testing.assert_allclose(boxes["voltix"], [100, 50, 300, 75], atol=0.01)
    np.testing.assert_allclose(boxes["axiom"], [500, 250, 700, 300], atol=0.01)
    aws.verify()


def test_detect_text_evidence_drops_a_box_that_reads_as_another_word_and_adds_one_that_reads_as_the_brand(
        aws: Aws) -> None:
    # Given a Custom Labels model whose label "voltix" reads as VOLTIX (set by the user)
    handle = {**HANDLE, **aws.backend.retext(HANDLE, ["voltix", "acme"], {"voltix": "VOLTIX"}, OUTPUT_PREFIX)}
    box = {"Width": 0.2, "Height": 0.1, "Left": 0.1, "Top": 0.1}
    # Frame 1: the model says voltix where the board reads VOLTEK (a rival), and acme (an emblem)
    aws.rekognition.add_response("detect_custom_labels", {"CustomLabels": [
        {"Name": "voltix", "Confidence": 90.0, "Geometry": {"BoundingBox": box}},
        {"Name": "acme", "Confidence": 80.0, "Geometry": {"BoundingBox": {**box, "Left": 0.6}}}]},
        {"ProjectVersionArn": VERSION_ARN, "Image": text_params("f1.jpg")["Image"], "MinConfidence": 50.0})
    aws.rekognition.add_response("detect_text", detect_text_response(("VOLTEK", 99.0, (0.12, 0.12, 0.15, 0.05))),
                                 text_params("f1.jpg"))
    # Frame 2: the model saw nothing, yet a board reads VOLTIX
    aws.rekognition.add_response("detect_custom_labels", {"CustomLabels": []},
                                 {"ProjectVersionArn": VERSION_ARN, "Image": text_params("f2.jpg")["Image"],
                                  "MinConfidence": 50.0})
    aws.rekognition.add_response("detect_text", detect_text_response(("VOLTIX", 98.0, (0.4, 0.4, 0.2, 0.05))),
                                 text_params("f2.jpg"))
    first, second = aws.backend.detect_stored(handle, BUCKET, ["f1.jpg", "f2.jpg"], (1000, 500))
    # Then the rival's board is not reported as voltix, acme (no text) is untouched, and the board
    # that reads VOLTIX is
    assert first.labels.tolist() == ["acme"]
    assert second.labels.tolist() == ["voltix"]
    np.testing.assert_allclose(second.xyxy[0], [400, 200, 600, 225], atol=0.01)
    aws.verify()


def test_text_evidence_at_a_floor_then_a_threshold_keeps_what_the_threshold_alone_keeps(aws: Aws) -> None:
    # Given a Custom Labels model whose label "voltix" reads as VOLTIX, and a frame where it is
    # unsure (30 %) of a board that clearly reads VOLTIX
    handle = {**HANDLE, **aws.backend.retext(HANDLE, ["voltix", "acme"], {"voltix": "VOLTIX"}, OUTPUT_PREFIX)}
    unsure = {"Name": "voltix", "Confidence": 30.0,
              "Geometry": {"BoundingBox": {"Width": 0.2, "Height": 0.1, "Left": 0.4, "Top": 0.4}}}
    image = text_params("f1.jpg")["Image"]
    for min_confidence, labels in ((50.0, []), (20.0, [unsure])):  # DetectCustomLabels omits what is below MinConfidence
        aws.rekognition.add_response("detect_custom_labels", {"CustomLabels": labels},
                                     {"ProjectVersionArn": VERSION_ARN, "Image": image, "MinConfidence": min_confidence})
        aws.rekognition.add_response("detect_text", detect_text_response(("VOLTIX", 98.0, (0.41, 0.42, 0.18, 0.06))),
                                     text_params("f1.jpg"))
    # When it is detected at the threshold 0.5, and at a floor of 0.2 (what detect stores for re-thresholding)
    [at_threshold] = aws.backend.detect_stored(handle, BUCKET, ["f1.jpg"], (1000, 500), 0.5)
    [at_floor] = aws.backend.detect_stored(handle, BUCKET, ["f1.jpg"], (1000, 500), 0.2)
    # Then the reading, more confident than the box on the same mark, stands at the floor too: cut at
    # 0.5 afterwards, the floor's detections are the threshold's (the unsure box no longer hides it)
    cut = at_floor[at_floor.confidence >= 0.5]
    assert at_threshold.labels.tolist() == cut.labels.tolist() == ["voltix"] and len(at_floor) == 1
    np.testing.assert_allclose(cut.xyxy, at_threshold.xyxy)
    np.testing.assert_allclose(cut.confidence, at_threshold.confidence)
    aws.verify()


def test_detect_text_throttling_is_absorbed_then_sent_back_later(aws: Aws) -> None:
    handle = aws.backend.train("brands", "1", Dataset("text", ["voltix"], []), "", OUTPUT_PREFIX)
    aws.error("detect_text", "ThrottlingException", params=text_params("f0.jpg"))
    aws.rekognition.add_response("detect_text", detect_text_response(("VOLTIX", 99.0, (0.1, 0.1, 0.2, 0.05))),
                                 text_params("f0.jpg"))
    assert aws.backend.detect_stored(handle, BUCKET, ["f0.jpg"], (1000, 500))[0].labels.tolist() == ["voltix"]
    for _ in range(4):
        aws.error("detect_text", "ThrottlingException", params=text_params("f0.jpg"))
    with pytest.raises(RetryLater):
        aws.backend.detect_stored(handle, BUCKET, ["f0.jpg"], (1000, 500))
    aws.verify()
