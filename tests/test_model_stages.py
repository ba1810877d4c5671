"""start-model, stop-model and detect with a Rekognition model (Stubber: moto has no Custom Labels),
and the idle stop: a started model waits with delayed re-checks, detect never fails while it
starts and never starts a model itself, and a model nobody uses is stopped (one a job still needs
is not)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from shared import layout
from shared.errors import RetryLater
from shared.messages import DetectMessage, Detecting, ModelRef, Sampling, StartModelMessage, StopModelMessage, VideoRef
from shared.models.backend import RUNNING, STARTING, STOPPING, TRAINING_COMPLETED
from shared.models.store import ModelStore, model_prefix
from tests.test_rekognition import HANDLE, VERSION_ARN, Aws, aws  # noqa: F401  (fixture)
from shared.jobs import JobStore
from shared.models.lifecycle import models_in_use, stop_idle_models
from workers.context import StageContext
from workers.stages.detect import detect
from workers.stages.start_model import start_model
from workers.stages.stop_model import stop_model

REF = ModelRef(name="acme", model_version=1, backend="rekognition")
VIDEO = VideoRef(video_id="0123456789abcdef", key="media/0123456789abcdef/source/v.mp4", name="v.mp4")


@pytest.fixture
def ctx(clients, aws: Aws) -> StageContext:  # noqa: F811
    context = StageContext.create(clients)
    context._backends["rekognition"] = aws.backend
    models = ModelStore(clients.dynamodb, clients.names.jobs_table)
    models.create_version("acme", "rekognition", "object", ["acme"], "job-1", {},
                          lambda v: f"{model_prefix('acme', v)}/manifest.jsonl")
    models.update_version("acme", 1, status=TRAINING_COMPLETED, handle=HANDLE)
    return context


def test_start_model_starts_once_then_rechecks_until_running(ctx: StageContext, aws: Aws) -> None:  # noqa: F811
    msg = StartModelMessage.for_model("job-1", REF)
    # Never started: the stage starts it with the configured inference units, then re-checks later
    aws.describe(TRAINING_COMPLETED)
    aws.rekognition.add_response("start_project_version", {"Status": STARTING},
                                 {"ProjectVersionArn": VERSION_ARN, "MinInferenceUnits": 1})
    with pytest.raises(RetryLater) as later:
        start_model(msg, ctx)
    assert later.value.seconds == 30 and later.value.reason == "model acme version 1 is starting"
    assert ctx.models.get_version("acme", 1).deployment == STARTING
    # The re-check sees it starting (no second start call), then running
    aws.describe(STARTING)
    with pytest.raises(RetryLater):
        start_model(msg, ctx)
    aws.describe(RUNNING)
    assert start_model(msg, ctx).outputs == {"model_status": RUNNING}
    assert ctx.models.get_version("acme", 1).deployment == RUNNING
    aws.verify()


def test_detect_waits_for_a_starting_model_and_writes_nothing(ctx: StageContext, aws: Aws) -> None:  # noqa: F811
    spec = Detecting(model=REF, min_confidence=0.5)
    msg = DetectMessage.for_segment("job-1", VIDEO, Sampling.at_fps(2), 0, spec)
    aws.describe(STARTING)  # ready? No: start-model, beside extraction, is starting it
    with pytest.raises(RetryLater) as later:
        detect(msg, ctx)
    assert later.value.reason == "model acme version 1 is not running yet"
    assert not ctx.storage.exists(layout.detections_key(VIDEO.video_id, Sampling.at_fps(2), spec, 0))
    aws.verify()


def test_stop_model_on_request_records_why(ctx: StageContext, aws: Aws) -> None:  # noqa: F811
    aws.rekognition.add_response("stop_project_version", {"Status": STOPPING}, {"ProjectVersionArn": VERSION_ARN})
    result = stop_model(StopModelMessage.for_model("job-2", REF), ctx)
    assert result.outputs == {"model_status": STOPPING}
    mv = ctx.models.get_version("acme", 1)
    assert (mv.deployment, mv.stop_reason) == (STOPPING, "stopped on request")
    aws.verify()


def test_detect_sends_rekognition_the_frames_where_they_are(ctx: StageContext, aws: Aws) -> None:  # noqa: F811
    # Given a segment whose index names two frames and one of the next segment's (their JPEGs are
    # never fetched by the worker), for
    # a job at 0.6 whose detections are kept down to a floor of 0.4 (Rekognition is asked for those)
    sampling, spec = Sampling.at_fps(2), Detecting(model=REF, min_confidence=0.6, floor=0.4)
    frames = [{"name": f"f{i}.jpg", "t": 0.25 + i * 0.5, "key": layout.frame_key(VIDEO.video_id, sampling, f"f{i}.jpg")}
              for i in range(2)]
    ahead = [{"name": "f2.jpg", "t": 1.25, "key": layout.seam_frame_key(VIDEO.video_id, sampling, 0, "f2.jpg")}]
    ctx.storage.put_json(layout.segment_index_key(VIDEO.video_id, sampling, 0),
                         {"frames": frames, "ahead": ahead, "frame_size": [1280, 720]})
    aws.describe(RUNNING)
    box = {"Width": 0.25, "Height": 0.5, "Left": 0.5, "Top": 0.25}
    for i, labels in enumerate(([{"Name": "acme", "Confidence": 91.0, "Geometry": {"BoundingBox": box}}], [])):
        aws.rekognition.add_response("detect_custom_labels", {"CustomLabels": labels}, {
            "ProjectVersionArn": VERSION_ARN, "MinConfidence": 40.0,
            "Image": {"S3Object": {"Bucket": ctx.storage.bucket, "Name": frames[i]["key"]}}})
    # When the running model detects on the segment
    result = detect(DetectMessage.for_segment("job-1", VIDEO, sampling, 0, spec), ctx)
    # Then each frame went by reference, and the segment's file holds the answers with their times
    assert result.metrics == {"frames": 2, "detections": 1}
    stored = ctx.storage.get_json(layout.detections_key(VIDEO.video_id, sampling, spec, 0))
    written = stored["frames"]
    assert [f["t_s"] for f in written] == [0.25, 0.75]
    assert stored["ahead"] == []  # each frame on its own: the next segment's first one is not sent (nor billed)
    assert written[0]["CustomLabels"] == [{"Name": "acme", "Confidence": 91.0, "Geometry": {"BoundingBox": box}}]
    assert written[1]["CustomLabels"] == []
    aws.verify()


def test_an_idle_rekognition_model_is_stopped_and_a_busy_one_is_not(ctx: StageContext, aws: Aws) -> None:  # noqa: F811
    now = datetime.now(timezone.utc)
    ctx.models.update_version("acme", 1, deployment=RUNNING, last_used=(now - timedelta(minutes=5)).isoformat())
    # Used 5 minutes ago, limit 15: left running (no AWS call at all)
    assert stop_idle_models(ctx.models, ctx.backend, idle_s=900, in_use=set(), now=now) == []
    # 20 minutes later, while an unfinished analysis still needs it (its detect messages wait behind
    # other work): left running
    later = now + timedelta(minutes=15)
    assert stop_idle_models(ctx.models, ctx.backend, idle_s=900, in_use={("acme", 1)}, now=later) == []
    # Once no job needs it, it is stopped, and the record says why
    aws.rekognition.add_response("stop_project_version", {"Status": STOPPING}, {"ProjectVersionArn": VERSION_ARN})
    assert stop_idle_models(ctx.models, ctx.backend, idle_s=900, in_use=set(), now=later) == [("acme", 1)]
    mv = ctx.models.get_version("acme", 1)
    assert mv.deployment == STOPPING and mv.stop_reason.startswith("idle for 20 min")
    # Once stopping, it is not stopped again
    assert stop_idle_models(ctx.models, ctx.backend, idle_s=900, in_use=set(), now=now + timedelta(minutes=30)) == []
    aws.verify()


def test_models_in_use_are_those_of_unfinished_analyses(clients) -> None:
    jobs = JobStore(clients.dynamodb, clients.names.jobs_table)
    detect = {"model": REF.model_dump(), "min_confidence": 0.5}
    jobs.create_job("a", "analyze", {"detect": detect}, first_stage="probe")
    jobs.create_job("b", "analyze", {"detect": {**detect, "model": {**REF.model_dump(), "model_version": 2}}},
                    first_stage="probe")
    jobs.succeed_job("b", {})
    jobs.create_job("c", "analyze", {}, first_stage="probe")  # no model
    assert models_in_use(jobs.list_jobs()) == {("acme", 1)}
