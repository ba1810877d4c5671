"""`analyze --model` through the queues: start-model beside probe/extract, detect per segment,
aggregate into report v1; duplicates, missing or unready models, and the errors a user sees."""

from __future__ import annotations

import io
import json
from dataclasses import replace

import pandas as pd
import pytest

from shared import job_report, layout
from shared.jobs import FAILED, SUCCEEDED
from shared.messages import Sampling
from shared.models.store import ModelStore
from shared.report.schema import validate_report
from shared.submit import RequestError, Submitter
from tests.analysis_fixtures import brand_video, install_model, train_small_model
from tests.conftest import wait_for, wait_for_job


@pytest.fixture(scope="module")
def model():
    return train_small_model()


@pytest.fixture(scope="module")
def video(model, tmp_path_factory):
    return brand_video(tmp_path_factory.mktemp("brand-videos"), model, seconds=20.0, seed=5)


def _presence_f1(report, video) -> float:
    tp = fp = fn = 0
    for frame in report["frames"]:
        found = {lab["label"] for lab in frame["labels"]}
        truth = video.brands_at(frame["t_s"])
        tp, fp, fn = tp + len(found & truth), fp + len(found - truth), fn + len(truth - found)
    return 2 * tp / max(1, 2 * tp + fp + fn)


def test_analysis_with_a_model_writes_report_v1(clients, store, storage, run_worker, model, video):
    mv = install_model(clients, model)
    # The version's held-out evaluation, as the train stage records it: the last label had no held-out example
    per_label = {label: {"precision": 0.9, "recall": 0.9, "f1": 0.9, "tp": 9, "fp": 1, "fn": 1} for label in model.labels}
    per_label[model.labels[-1]] = {"precision": 0.0, "recall": 1.0, "f1": 0.0, "tp": 0, "fp": 2, "fn": 0}
    ModelStore(clients.dynamodb, clients.names.jobs_table).update_version("logos", mv.version, metrics={
        "f1": 0.85, "precision": 0.82, "recall": 0.9, "threshold": 0.5, "test_images": 12, "per_label": per_label})
    run_worker(concurrency=2)
    job = Submitter(clients).analyze(video.path, Sampling.at_fps(2), segment_seconds=8, model="logos")
    done = wait_for_job(store, job.job_id, timeout=240)
    assert done.status == SUCCEEDED, done.error
    # Every branch ran: start-model once, detect per segment, one aggregate, sprites
    segments = done.stages["extract"].expected
    assert segments >= 2
    assert (done.stages["start-model"].done, done.stages["detect"].done, done.stages["aggregate"].done) == (1, segments, 1)
    assert done.stages["detect"].metrics["frames"] == done.stages["extract"].metrics["frames"] == 40
    # Each segment but the last also took the next one's first samples (detection looks across the seam)
    vid = done.request["video"]["video_id"]
    for i in range(segments):
        index = storage.get_json(layout.segment_index_key(vid, Sampling.at_fps(2), i))
        nxt = [] if i == segments - 1 else storage.get_json(layout.segment_index_key(vid, Sampling.at_fps(2), i + 1))["frames"]
        assert [f["t"] for f in index["ahead"]] == [f["t"] for f in nxt[:clients.config.seam_frames]]
        assert all(storage.exists(f["key"]) and "/seams/" in f["key"] for f in index["ahead"])
    report = json.loads(storage.get_bytes(layout.report_key(job.job_id)))
    validate_report(report)
    assert done.result["report"] == storage.uri(layout.report_key(job.job_id))
    assert report["video"] == {"duration_s": 20.0, "width": 640, "height": 360, "fps": 25.0, "sampled_fps": 2.0}
    assert {k: report["model"][k] for k in ("name", "backend", "min_confidence", "version")} == {
        "name": "logos", "backend": "local", "min_confidence": 0.5, "version": mv.version}
    # The model block carries the version's evaluation and what it means for this report
    assert report["model"]["evaluation"]["f1"] == 0.85 and report["model"]["evaluation"]["test_images"] == 12
    assert report["model"]["warnings"] == [f"{model.labels[-1]}: no held-out example — its screen time is unverified"]
    ranges = {b["label"]: b["uncertainty"] for b in report["brands"]}
    assert ranges[model.labels[-1]]["low_s"] is None
    assert all(u["low_s"] is not None and u["low_s"] <= u["high_s"] for k, u in ranges.items() if k != model.labels[-1])
    assert [f["t_s"] for f in report["frames"]] == [k / 2 for k in range(40)]
    assert {b["label"] for b in report["brands"]} == set(model.labels)
    # A loose quality floor: this small model scores about 0.6 here (bench/analysis.py measures the real figures)
    assert _presence_f1(report, video) >= 0.4
    # The CSV tables sit beside the report
    brands_csv = storage.get_bytes(layout.report_csv_key(job.job_id, "brands")).decode().splitlines()
    assert brands_csv[0].startswith("label,screen_time_s,share_of_screen_time") and len(brands_csv) == 1 + len(model.labels)
    # First seen is one figure: the report's, brands.csv's and the first row of appearances.csv agree
    brands = pd.read_csv(io.BytesIO(storage.get_bytes(layout.report_csv_key(job.job_id, "brands")))).set_index("label")
    apps = pd.read_csv(io.BytesIO(storage.get_bytes(layout.report_csv_key(job.job_id, "appearances"))))
    seen = [b for b in report["brands"] if b["appearances"]]
    assert seen
    for b in seen:
        first = apps[apps["label"] == b["label"]].sort_values("start_s").iloc[0]
        assert b["first_seen_s"] == brands.loc[b["label"], "first_seen_s"] == first["start_s"]
        assert b["last_seen_s"] == brands.loc[b["label"], "last_seen_s"] == apps[apps["label"] == b["label"]]["end_s"].max()
    # Detect kept detections down to the floor (0.2) and the report applied 0.5: the finished job
    # re-reported at 0.7 from them is what a fresh analysis detecting at 0.7 reports
    assert report["extras"]["detection_floor"] == 0.2 and done.result["detections_prefix"].endswith("/c0.2/")
    models = ModelStore(clients.dynamodb, clients.names.jobs_table)
    at_07 = job_report.rethreshold(storage, models, done, 0.7)
    cut_at_07 = replace(clients, config=clients.config.replace(detection_floor=0.7))
    fresh = wait_for_job(store, Submitter(cut_at_07).analyze(video.path, Sampling.at_fps(2), segment_seconds=8,
                                                            model="logos", min_confidence=0.7).job_id, timeout=240)
    assert fresh.status == SUCCEEDED and fresh.result["detections_prefix"].endswith("/c0.7/"), fresh.error
    fresh_report = json.loads(storage.get_bytes(layout.report_key(fresh.job_id)))
    mine = ("job_id", "detection_floor")
    assert {**at_07, "extras": {k: v for k, v in at_07["extras"].items() if k not in mine}} == \
        {**fresh_report, "extras": {k: v for k, v in fresh_report["extras"].items() if k not in mine}}
    assert at_07["model"]["min_confidence"] == 0.7 and at_07["frames"] != report["frames"]
    # The warnings speak of the threshold applied; below the floor the detections were never kept
    assert "this analysis kept detections at 0.7" in " ".join(at_07["model"]["warnings"])
    with pytest.raises(job_report.ThresholdError, match="down to confidence 0.2 only, not 0.1"):
        job_report.rethreshold(storage, models, done, 0.1)


def test_duplicate_detect_messages_do_not_double_count(clients, store, storage, run_worker, model, video):
    install_model(clients, model)
    media = run_worker(stages=["probe", "extract", "sprite", "start-model"])
    job = Submitter(clients).analyze(video.path, Sampling.at_fps(1), segment_seconds=8, model="logos")
    wait_for(lambda: store.get_job(job.job_id).stages.get("extract") and store.get_job(job.job_id).stages["extract"].complete,
             120, "extraction")
    media.stop()
    # Every detect message is delivered twice (SQS is at-least-once)
    url = clients.sqs.get_queue_url(QueueName=clients.names.queue("detect"))["QueueUrl"]
    bodies = []
    while True:
        got = clients.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        if not got:
            break
        for m in got:
            bodies.append(m["Body"])
            clients.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    segments = store.get_job(job.job_id).stages["extract"].expected
    assert len(bodies) == segments
    for body in bodies * 2:
        clients.sqs.send_message(QueueUrl=url, MessageBody=body)
    run_worker(stages=["detect", "aggregate", "sprite", "start-model"], concurrency=2)  # sprite, start-model: may still be queued
    done = wait_for_job(store, job.job_id, timeout=180)
    assert done.status == SUCCEEDED, done.error
    assert done.stages["detect"].done == segments
    assert done.stages["detect"].metrics["frames"] == done.stages["extract"].metrics["frames"] == 20
    report = json.loads(storage.get_bytes(layout.report_key(job.job_id)))
    assert len(report["frames"]) == 20
    assert sum(b["screen_time_s"] for b in report["brands"]) <= 20 * len(model.labels)


def test_unknown_or_untrained_model_is_refused_at_request(clients, model, video):
    with pytest.raises(RequestError, match="no model named nope; models: none"):
        Submitter(clients).analyze(video.path, Sampling.at_fps(2), model="nope")
    install_model(clients, model, name="fresh", status="TRAINING_IN_PROGRESS")
    with pytest.raises(RequestError, match="model fresh has no trained version yet .newest: version 1, TRAINING_IN_PROGRESS"):
        Submitter(clients).analyze(video.path, Sampling.at_fps(2), model="fresh")
    with pytest.raises(RequestError, match="model fresh has no version 9"):
        Submitter(clients).analyze(video.path, Sampling.at_fps(2), model="fresh", model_version=9)
    with pytest.raises(RequestError, match="--fps 0.1 is too low"):
        Submitter(clients).analyze(video.path, Sampling.at_fps("1/10"), model="fresh")


def test_a_model_that_disappears_fails_the_job_with_the_reason(clients, store, run_worker, model, video):
    mv = install_model(clients, model)
    job = Submitter(clients).analyze(video.path, Sampling.at_fps(1), segment_seconds=8, model="logos")
    # The version's record is deleted before any worker sees the job
    clients.dynamodb.delete_item(TableName=clients.names.jobs_table,
                                 Key={"pk": {"S": "model#logos"}, "sk": {"S": f"v#{mv.version:06d}"}})
    run_worker(concurrency=2)
    done = wait_for_job(store, job.job_id, timeout=120)
    assert done.status == FAILED
    assert done.error == f"model logos version {mv.version} does not exist"
    assert ModelStore(clients.dynamodb, clients.names.jobs_table).get_version("logos") is None


def test_sampling_faster_than_the_video_is_refused_at_request_with_the_rate_to_use(clients, store, model, video):
    install_model(clients, model)
    with pytest.raises(RequestError) as refused:
        Submitter(clients).analyze(video.path, Sampling.at_fps(50), model="logos")
    assert str(refused.value) == (f"--fps 50 asks for more frames than {video.path.name} has (25 frames/s); "
                                  "use --fps 25 or less")
    assert store.list_jobs() == []  # nothing was queued


def test_start_and_stop_on_request_are_carried_out_by_the_workers(clients, store, run_worker, model):
    mv = install_model(clients, model)
    requests = Submitter(clients)
    models = ModelStore(clients.dynamodb, clients.names.jobs_table)
    # A request only records and queues: nothing has started yet
    start = requests.start_model("logos", mv.version)
    assert (start.kind, start.status) == ("model", "QUEUED") and models.get_version("logos", 1).deployment is None
    # The workers start it, and the job says so
    run_worker(stages=["start-model", "stop-model"])
    done = wait_for_job(store, start.job_id)
    assert done.result == {"model": "logos", "version": 1, "action": "start", "model_status": "RUNNING"}
    assert models.get_version("logos", mv.version).deployment == "RUNNING"
    stop = wait_for_job(store, requests.stop_model("logos", mv.version).job_id)
    assert stop.result["model_status"] == "STOPPED"
    stopped = models.get_version("logos", mv.version)
    assert (stopped.deployment, stopped.stop_reason) == ("STOPPED", "stopped on request")
    with pytest.raises(RequestError, match="model logos version 7 is not a trained model"):
        requests.start_model("logos", 7)
