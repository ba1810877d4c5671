"""Amazon Rekognition Custom Labels as a `Backend`: what the AWS sample trains, behind our interface.

One Rekognition project per brandvis model (`{prefix}-{model}`), one project version per model
version, trained from the Ground Truth manifest with an auto-split test set. Every call is safe to
repeat, because SQS may deliver a message twice: an existing project or version is reused, a
model already starting or stopping just reports its status.

Errors carry a decision: throttling becomes `RetryLater` (the runtime re-sends the message later),
what the user must fix becomes `BackendError` with a hint, anything else propagates (the runtime
retries it and, in the end, dead-letters it).
"""

from __future__ import annotations

import json
import re
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, Iterator, Sequence

from botocore.exceptions import ClientError

from shared.errors import RetryLater
from shared.models.backend import RUNNING, STOPPED, TRAINING_COMPLETED, BackendError, Handle, Metrics, TrainingState
from shared.models.dataset import Dataset
from shared.models.text.match import TextSignatures, summary
from shared.models.text.reader import Reading
from shared.models.text.spotting import ReadLine, brands_in_lines, fuse
from shared.detections import Detections

THROTTLED = {"ThrottlingException", "ProvisionedThroughputExceededException", "LimitExceededException"}
HINTS = {
    "AccessDeniedException": "give the worker's role the rekognition:* Custom Labels actions and read/write "
                             "access to the data bucket",
    "InvalidParameterException": "check the training manifest and the model and version names",
    "ResourceNotFoundException": "the Rekognition project or model version no longer exists; train the model again",
    "ServiceQuotaExceededException": "delete unused Rekognition model versions or ask AWS for a higher quota",
}
TRAINING_RETRY_S = 60  # training takes about an hour: no hurry to look again
RETRY_S = 30


def _code(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Code", "")


def _name(text: str) -> str:
    """Rekognition names allow [a-zA-Z0-9_.-] only."""
    return re.sub(r"[^a-zA-Z0-9_.\-]", "-", text)[:255]


def _fraction(value: Any) -> float:
    """The summary file gives 0..1; tolerate a 0..100 figure rather than report 98 as a threshold."""
    value = float(value)
    return value / 100 if value > 1 else value


class RekognitionBackend:
    name = "rekognition"
    reads_bucket = True  # detect_stored: Rekognition reads the frames from S3 itself
    retry_delays: Sequence[float] = (0.5, 1.0, 2.0)  # detect's in-place retries when throttled

    def __init__(self, rekognition: Any, s3: Any, bucket: str, project_prefix: str = "brandvis",
                 detect_concurrency: int = 1) -> None:
        self.rekognition = rekognition
        self.s3 = s3
        self.bucket = bucket
        self.project_prefix = project_prefix
        self.detect_concurrency = max(1, detect_concurrency)

    @contextmanager
    def _aws(self, doing: str, retry_s: int = RETRY_S) -> Iterator[None]:
        """Turn AWS's error codes into the runtime's decisions (see the module docstring)."""
        try:
            yield
        except ClientError as error:
            code, message = _code(error), error.response.get("Error", {}).get("Message", "")
            if code in THROTTLED:
                raise RetryLater(retry_s, f"Rekognition is throttling ({code}) while trying to {doing}") from error
            if code in HINTS:
                raise BackendError(f"Rekognition refused to {doing} ({code}: {message}); {HINTS[code]}") from error
            raise

    # -- training ---------------------------------------------------------------------------
    def train(self, model: str, version: str, dataset: Dataset, manifest_key: str, output_prefix: str,
              words: dict[str, str] | None = None) -> Handle:
        """Create (or find) the project and the version; object and concept manifests train alike.
        A text-only model trains nothing: DetectText reads the brands' names (`words`)."""
        if dataset.type == "text":
            words = {label: (words or {}).get(label) or label for label in dataset.labels}
            return {"backend": self.name, "type": "text", **self._text(words, dataset.labels)}
        project_name, version_name = _name(f"{self.project_prefix}-{model}"), _name(version)
        with self._aws(f"create project {project_name}", TRAINING_RETRY_S):
            project_arn = self._project_arn(project_name)
        with self._aws(f"train {project_name} version {version_name}", TRAINING_RETRY_S):
            try:
                version_arn = self.rekognition.create_project_version(
                    ProjectArn=project_arn, VersionName=version_name,
                    OutputConfig={"S3Bucket": self.bucket, "S3KeyPrefix": output_prefix},
                    TrainingData={"Assets": [{"GroundTruthManifest": {"S3Object": {
                        "Bucket": self.bucket, "Name": manifest_key}}}]},
                    TestingData={"AutoCreate": True},
                )["ProjectVersionArn"]
            except ClientError as error:
                if _code(error) != "ResourceInUseException":
                    raise
                version_arn = self._describe(project_arn, version_name)["ProjectVersionArn"]  # redelivery
        return {"backend": self.name, "project_arn": project_arn, "version_arn": version_arn,
                "version_name": version_name, **(self._text(words, dataset.labels) if words else {})}

    @staticmethod
    def _text(words: dict[str, str], labels: Sequence[str]) -> Handle:
        """What labels read as, kept in the handle: DetectText's lines are judged against it."""
        sig = TextSignatures().with_user_words(words)
        return {"words": sig.to_dict(), "texts": summary(sig, labels)}

    def retext(self, handle: Handle, labels: Sequence[str], words: dict[str, str], output_prefix: str) -> Handle:
        old = TextSignatures.from_dict(handle["words"]) if handle.get("words") else TextSignatures()
        sig = old.with_user_words(words)
        return {**handle, "words": sig.to_dict(), "texts": summary(sig, labels)}

    def _project_arn(self, project_name: str) -> str:
        try:
            return self.rekognition.create_project(ProjectName=project_name)["ProjectArn"]
        except ClientError as error:
            if _code(error) != "ResourceInUseException":
                raise
        found = self.rekognition.describe_projects(ProjectNames=[project_name]).get("ProjectDescriptions", [])
        if not found:
            raise BackendError(f"Rekognition says project {project_name} is in use but does not list it; "
                               "it may be being deleted: try again in a few minutes")
        return found[0]["ProjectArn"]

    def _describe(self, project_arn: str, version_name: str) -> dict[str, Any]:
        found = self.rekognition.describe_project_versions(ProjectArn=project_arn, VersionNames=[version_name])
        versions = found.get("ProjectVersionDescriptions", [])
        if not versions:
            raise BackendError(f"Rekognition has no model version {version_name} in {project_arn}; "
                               "train the model again")
        return versions[0]

    def _version(self, handle: Handle, retry_s: int) -> dict[str, Any]:
        with self._aws(f"describe model version {handle['version_name']}", retry_s):
            return self._describe(handle["project_arn"], handle["version_name"])

    def training_state(self, handle: Handle) -> TrainingState:
        """Status plus StatusMessage: on TRAINING_FAILED it says why (bad manifest...)."""
        if handle.get("type") == "text":
            return TrainingState(TRAINING_COMPLETED)
        desc = self._version(handle, TRAINING_RETRY_S)
        return TrainingState(desc["Status"], desc.get("StatusMessage", ""))

    def evaluation(self, handle: Handle) -> Metrics:
        """Read the evaluation summary file that DescribeProjectVersions points at."""
        if handle.get("type") == "text":
            return Metrics(f1=0.0, precision=0.0, recall=0.0, threshold=0.5, test_images=0,
                           extra={"note": "text-only: nothing labeled to hold out"})
        desc = self._version(handle, TRAINING_RETRY_S)
        result = desc.get("EvaluationResult") or {}
        s3_object = (result.get("Summary") or {}).get("S3Object")
        if not s3_object:
            raise BackendError(f"model version {handle['version_name']} has no evaluation ({desc['Status']}"
                               f"{': ' + desc['StatusMessage'] if desc.get('StatusMessage') else ''})")
        try:
            body = self.s3.get_object(Bucket=s3_object["Bucket"], Key=s3_object["Name"])["Body"].read()
        except ClientError as error:
            raise BackendError(f"cannot read the evaluation summary s3://{s3_object['Bucket']}/{s3_object['Name']}"
                               f" ({_code(error)}); check the worker's S3 permissions") from error
        return summary_to_metrics(json.loads(body), result.get("F1Score"))

    # -- running ----------------------------------------------------------------------------
    def start(self, handle: Handle, min_inference_units: int = 1) -> str:
        if handle.get("type") == "text":
            return RUNNING  # DetectText needs no model of ours running
        with self._aws(f"start model version {handle['version_name']}"):
            try:
                return self.rekognition.start_project_version(
                    ProjectVersionArn=handle["version_arn"], MinInferenceUnits=min_inference_units)["Status"]
            except ClientError as error:
                if _code(error) != "ResourceInUseException":  # already starting or running
                    raise
        return self.status(handle)

    def status(self, handle: Handle) -> str:
        if handle.get("type") == "text":
            return RUNNING
        return self._version(handle, RETRY_S)["Status"]

    def ready(self, handle: Handle) -> bool:
        return self.status(handle) == RUNNING

    def stop(self, handle: Handle) -> str:
        if handle.get("type") == "text":
            return STOPPED
        with self._aws(f"stop model version {handle['version_name']}"):
            try:
                return self.rekognition.stop_project_version(ProjectVersionArn=handle["version_arn"])["Status"]
            except ClientError as error:
                if _code(error) != "ResourceInUseException":  # already stopping or stopped
                    raise
        return self.status(handle)

    def sequential(self, handle: Handle) -> bool:
        return False  # each frame on its own

    def detect_stored(self, handle: Handle, bucket: str, keys: Sequence[str], size: tuple[int, int],
                      min_confidence: float = 0.5) -> list[Detections]:
        """Frames already in our bucket go by reference: no download, decode or re-encode here.

        A call takes a round trip of ~0.1-0.3 s, so `detect_concurrency` of them are in flight
        at once; answers come back in the frames' order.
        """
        text = TextSignatures.from_dict(handle["words"]) if handle.get("words") else None

        def one(key: str) -> Detections:
            image = {"S3Object": {"Bucket": bucket, "Name": key}}
            if handle.get("type") == "text":
                assert text is not None
                return brands_in_lines(self._lines(image, size), text, size, min_confidence)
            found = Detections.from_rekognition(self._detect_one(handle, image, min_confidence * 100), *size)
            return fuse(found, self._lines(image, size), text, min_confidence) if text else found

        if self.detect_concurrency == 1 or len(keys) < 2:
            return [one(key) for key in keys]
        with ThreadPoolExecutor(max_workers=min(self.detect_concurrency, len(keys))) as pool:
            return list(pool.map(one, keys))

    def _lines(self, image: dict[str, Any], size: tuple[int, int]) -> list[ReadLine]:
        """DetectText on one frame (Group 2 image pricing, ~US$1 per 1,000 images), its lines."""
        delays = list(self.retry_delays)
        with self._aws("read text with DetectText"):
            while True:
                try:
                    return lines_from_detect_text(self.rekognition.detect_text(Image=image), size)
                except ClientError as error:
                    if _code(error) not in THROTTLED or not delays:
                        raise
                    time.sleep(delays.pop(0))

    def _detect_one(self, handle: Handle, image: dict[str, Any], min_confidence: float) -> dict[str, Any]:
        """Short throttling bursts are absorbed here; a longer one re-sends the message later."""
        delays = list(self.retry_delays)
        with self._aws(f"detect with model version {handle['version_name']}"):
            while True:
                try:
                    return self.rekognition.detect_custom_labels(
                        ProjectVersionArn=handle["version_arn"], Image=image, MinConfidence=min_confidence)
                except ClientError as error:
                    if _code(error) == "ResourceNotReadyException":
                        raise RetryLater(RETRY_S, f"model version {handle['version_name']} is not running yet") \
                            from error
                    if _code(error) not in THROTTLED or not delays:
                        raise
                    time.sleep(delays.pop(0))


def lines_from_detect_text(response: dict[str, Any], size: tuple[int, int]) -> list[ReadLine]:
    """DetectText's LINE detections as read lines: box in pixels, Confidence (0-100) as 0..1."""
    w, h = size
    out = []
    for t in response.get("TextDetections", []):
        bb = (t.get("Geometry") or {}).get("BoundingBox")
        if t.get("Type") != "LINE" or not bb or not t.get("DetectedText"):
            continue
        conf = float(t.get("Confidence", 0.0)) / 100
        xyxy = (bb["Left"] * w, bb["Top"] * h, (bb["Left"] + bb["Width"]) * w, (bb["Top"] + bb["Height"]) * h)
        out.append(ReadLine(xyxy, Reading(t["DetectedText"], conf, (conf,) * len(t["DetectedText"]))))
    return out


def summary_to_metrics(summary: dict[str, Any], f1_score: float | None = None) -> Metrics:
    """The documented summary file -> Metrics.

    The reference puts the aggregate figures under `AggregatedEvaluationResults.Metrics`, the
    published example directly under `AggregatedEvaluationResults`: accept both. The file has no
    overall threshold; like the console's "assumed threshold", take the mean of the labels'.
    """
    aggregated = summary.get("AggregatedEvaluationResults") or {}
    overall = aggregated.get("Metrics") or aggregated
    details = summary.get("EvaluationDetails") or {}
    per_label: dict[str, dict[str, float]] = {}
    for item in summary.get("LabelEvaluationResults") or []:
        m = item.get("Metrics") or {}
        entry = {"precision": float(m.get("Precision", 0.0)), "recall": float(m.get("Recall", 0.0)),
                 "f1": float(m.get("F1Score", 0.0))}
        if m.get("Threshold") is not None:
            entry["threshold"] = _fraction(m["Threshold"])
        if item.get("NumberOfTestingImages") is not None:
            entry["test_images"] = int(item["NumberOfTestingImages"])
        per_label[item["Label"]] = entry
    thresholds = [e["threshold"] for e in per_label.values() if "threshold" in e]
    extra = {key: overall[name] for key, name in (("average_precision", "AveragePrecision"),
                                                   ("average_recall", "AverageRecall")) if name in overall}
    if "NumberOfTrainingImages" in details:
        extra["training_images"] = int(details["NumberOfTrainingImages"])
    f1 = overall.get("F1Score", f1_score)
    return Metrics(
        f1=float(f1 if f1 is not None else 0.0),
        precision=float(overall.get("Precision", 0.0)),
        recall=float(overall.get("Recall", 0.0)),
        threshold=round(sum(thresholds) / len(thresholds), 4) if thresholds else 0.5,
        test_images=int(details.get("NumberOfTestingImages", 0)),
        per_label=per_label,
        extra=extra,
    )
