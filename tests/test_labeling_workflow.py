"""Training from raw media on the local stack: probe -> extract -> label (Ground Truth's files) ->
the built-in labeling job, completed -> EventBridge event -> events queue -> collect -> train, and
the ways the wait can go wrong (a duplicate event, a failed or stopped labeling job, an event for
a labeling job nobody waits on, the worker killed while the job waits)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import cv2
import pytest

from devtools.synth.benchmark import make_benchmark
from devtools.synth.video import make_brand_video
from shared.jobs import FAILED, SUCCEEDED, WAITING
from shared.labeling import formats
from shared.labeling.builtin import BuiltinLabeler
from shared.labeling.store import FrameLabel, LabelStore
from shared.labeling.task import LabelingTask
from shared.messages import Sampling
from shared.models.dataset import Box
from shared.models.store import ModelStore
from shared.submit import RequestError, Submitter
from tests import gt_examples as doc
from tests.conftest import ROOT, wait_for, wait_for_job


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    """Two short videos and three stills with the benchmark's brands at known boxes."""
    folder = tmp_path_factory.mktemp("media")
    bench = make_benchmark(seed=7, n_train=10, n_test=0, photos=[])
    brands = [b.name for b in bench.brands]
    videos = [make_brand_video(folder / f"match-{seed}.mp4", bench.brands, bench.distractors, seconds=12, seed=seed,
                               rotate=5) for seed in (3, 4)]
    images = []
    for i, frame in enumerate(bench.train):
        path = folder / f"still-{i}.jpg"
        cv2.imwrite(str(path), frame.image)
        images.append((path, [(x.label, x.box) for x in frame.instances if x.is_brand]))
    seen = [label for _, boxes in images for label, _ in boxes]
    common = [b for b in brands if seen.count(b) >= 3]  # enough boxes in the stills alone to train
    return {"brands": brands, "videos": videos, "images": images, "still_brands": common}


def truth_for(task: LabelingTask, media) -> list[FrameLabel]:
    """What a careful person labels: every brand box on every frame (none on empty frames)."""
    by_video = {v.path.name: v for v in media["videos"]}
    by_image = {p.name: boxes for p, boxes in media["images"]}
    out = []
    for seq in task.sequences:
        for no, frame in enumerate(seq.frames):
            if seq.video_id is not None:
                boxes = by_video[seq.source].boxes_at(seq.times[no])
            else:
                boxes = next(b for name, b in by_image.items() if frame.endswith(name))
            out.append(FrameLabel(seq.seq_no, no, [Box(label, x0, y0, x1 - x0, y1 - y0)
                                                   for label, (x0, y0, x1, y1) in boxes]))
    return out


def waiting(store, job_id: str):
    def check():
        job = store.get_job(job_id)
        assert job is not None and job.status != FAILED, job and job.error
        return job if job.status == WAITING else None

    return wait_for(check, 180, f"job {job_id} to wait for labels")


def events_left(clients) -> int:
    attrs = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    total = 0
    for name in (clients.names.events_queue, clients.names.dlq("events")):
        url = clients.sqs.get_queue_url(QueueName=name)["QueueUrl"]
        got = clients.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=attrs)["Attributes"]
        total += sum(int(got[a]) for a in attrs)
    return total


def as_coco(task: LabelingTask, frames: list[FrameLabel], labels: list[str], media) -> dict:
    """The frames as another tool's COCO export names them: `<video>/<frame>`, stills by their own name."""
    ids = {label: i + 1 for i, label in enumerate(labels)}
    still_sizes = {p.name: cv2.imread(str(p)).shape[1::-1] for p, _ in media["images"]}
    images, annotations = [], []
    for f in frames:
        seq = task.sequence(f.seq_no)
        name = seq.frames[f.frame_no]
        if seq.video_id:
            file_name, (width, height) = f"{seq.source}/{name}", task.frame_sizes[str(f.seq_no)]
        else:
            file_name = next(still for still in still_sizes if name.endswith(still))
            width, height = still_sizes[file_name]
        images.append({"id": len(images) + 1, "file_name": file_name, "width": width, "height": height})
        for b in f.boxes:
            annotations.append({"id": len(annotations) + 1, "image_id": len(images), "category_id": ids[b.label],
                                "bbox": [b.left, b.top, b.width, b.height], "area": b.width * b.height, "iscrowd": 0})
    return {"images": images, "annotations": annotations,
            "categories": [{"id": i, "name": label} for label, i in ids.items()]}


def test_train_from_raw_media_through_builtin_labeling(clients, store, storage, run_worker, media, tmp_path):
    clients.config = clients.config.replace(segment_seconds=4)  # several segments per video, extracted side by side
    worker = run_worker(concurrency=2)
    submit = Submitter(clients)
    files = [v.path for v in media["videos"]] + [p for p, _ in media["images"]]
    job, mv = submit.train_media(files, media["brands"], "logos", sampling=Sampling.at_fps(1))

    # Probe and extract run per video (each video's segments counted apart), then the job waits
    waited = waiting(store, job.job_id)
    assert waited.stages["probe"].done == 2
    for v in media["videos"]:
        assert waited.stages[f"extract@{submit.upload_video(v.path).video_id}"].complete
    labeling = waited.outputs["labeling"]
    assert labeling["labeler"] == "builtin" and labeling["sequences"] == 3  # two videos + the stills

    # Ground Truth's input files, field by field against the documentation's examples
    labeler = BuiltinLabeler(clients)
    record, task = labeler.for_job(job.job_id)
    assert record.status == "InProgress" and record.frames == task.frame_count
    manifest = storage.get_bytes(storage.key_of(task.manifest_uri)).decode().split("\n")
    assert [json.loads(line) for line in manifest] == [{"source-ref": s.uri} for s in task.sequences]
    assert [p for line in manifest for p in doc.same_shape(json.loads(line), doc.INPUT_MANIFEST_LINE)] == []
    documented = {**doc.SEQUENCE_FILE, "frames": [{"frame-no": 0, "frame": "0.jpg"}]}  # unix-timestamp: optional
    for seq in task.sequences:
        body = storage.get_json(storage.key_of(seq.uri))
        assert doc.same_shape(body, documented) == []
        assert body["prefix"].endswith("/") and body["number-of-frames"] == len(body["frames"]) == len(seq.frames)
        assert [f["frame-no"] for f in body["frames"]] == list(range(len(seq.frames)))
        assert all(storage.exists(storage.key_of(body["prefix"] + f["frame"])) for f in body["frames"])
    assert [len(s.frames) for s in task.sequences] == [12, 12, 10]  # 12 s at 1 frame/s; the stills
    config = storage.get_json(storage.key_of(task.config_uri))
    assert doc.same_shape(config, doc.VIDEO_LABEL_CONFIG) == []
    assert config["document-version"] == "2020-03-01" and [x["label"] for x in config["labels"]] == media["brands"]

    # The labels come from another tool (a COCO export naming each frame <video>/<frame>): `label import`
    # checks every box, saves the frames and finishes the labeling job: Ground Truth's output + the event
    truth = truth_for(task, media)
    coco_file = tmp_path / "labels.json"
    coco_file.write_text(json.dumps(as_coco(task, truth, media["brands"], media)))
    env = {**os.environ, "BRANDVIS_ENDPOINT_URL": clients.config.endpoint}
    proc = subprocess.run([sys.executable, "-m", "cli.main", "label", "import", job.job_id, str(coco_file)], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    out_uri = proc.stdout.strip().splitlines()[-1]
    lines = [json.loads(line) for line in storage.get_bytes(storage.key_of(out_uri)).decode().splitlines()]
    documented_line = {k.replace("CarObjectDetection", "bounding-box"): v for k, v in doc.VIDEO_OUTPUT_LINE.items()}
    assert [p for line in lines for p in doc.same_shape(line, documented_line)] == []
    seq_label = storage.get_json(storage.key_of(lines[0]["bounding-box-ref"]))
    annotation = {**doc.SEQ_LABEL["detection-annotations"][0]["annotations"][0], "label-category-attributes": {}}
    documented_seq = {"detection-annotations": [{**doc.SEQ_LABEL["detection-annotations"][0],
                                                 "annotations": [annotation]}]}
    assert doc.same_shape(seq_label, documented_seq) == []
    store_ = LabelStore(clients.dynamodb, clients.names.jobs_table)

    # The event resumes the job: collect keeps empty frames as negatives, then the model trains
    done = wait_for_job(store, job.job_id, timeout=300)
    assert done.status == SUCCEEDED, done.error
    examples = done.result["examples"]
    boxes = sum(len(f.boxes) for f in truth)
    assert examples["images"] == len(truth) and sum(examples["per_label"].values()) == boxes
    assert examples["negatives"] == sum(1 for f in truth if not f.boxes) > 0
    assert done.result["version"] == mv.version and done.result["f1"] is not None
    trained = ModelStore(clients.dynamodb, clients.names.jobs_table).get_version("logos")
    assert trained.version == mv.version and trained.counts == examples["per_label"]
    assert store_.get(task.name).status == "Completed"

    # The same event again (at-least-once delivery) is acknowledged and changes nothing
    labeler._announce(task.name, "Completed")
    wait_for(lambda: events_left(clients) == 0, 30, "the duplicate event to be consumed")
    again = store.get_job(job.job_id)
    assert again.status == SUCCEEDED and again.stages["collect"].done == 1 and again.stages["train"].done == 1

    # The model it made analyses a video
    analysis = submit.analyze(media["videos"][0].path, Sampling.at_fps(1), model="logos")
    report = wait_for_job(store, analysis.job_id, timeout=180)
    assert report.status == SUCCEEDED, report.error
    found = storage.get_json(storage.key_of(report.result["report"]))
    assert {b["label"] for b in found["brands"] if b["screen_time_s"] > 0} & set(media["brands"])
    worker.stop()


def _images_only_job(clients, store, media, name: str):
    job, _ = Submitter(clients).train_media([p for p, _ in media["images"]], media["still_brands"], name)
    waiting(store, job.job_id)
    return job, BuiltinLabeler(clients).for_job(job.job_id)[1]


def _label_stills(clients, task, media) -> None:
    wanted = set(media["still_brands"])
    frames = [FrameLabel(f.seq_no, f.frame_no, [b for b in f.boxes if b.label in wanted]) for f in truth_for(task, media)]
    LabelStore(clients.dynamodb, clients.names.jobs_table).save_frames(task.name, frames)


def test_a_stopped_or_failed_labeling_job_fails_the_job_with_its_reason(clients, store, run_worker, media):
    run_worker(concurrency=2)
    job, task = _images_only_job(clients, store, media, "stopped")
    BuiltinLabeler(clients).stop(task, "the brief changed")
    done = wait_for_job(store, job.job_id, timeout=60)
    assert done.status == FAILED and done.error == f"labeling job {task.name} stopped: the brief changed"

    # Ground Truth's own Failed event (source aws.sagemaker) takes the same path
    job, task = _images_only_job(clients, store, media, "failed")
    LabelStore(clients.dynamodb, clients.names.jobs_table).update(
        f"labeling#{task.name}", "job", "SET failure_reason = :r", {":r": "workers rejected the task"})
    clients.events.put_events(Entries=[{
        "Source": "aws.sagemaker", "DetailType": "SageMaker Ground Truth Labeling Job State Change",
        "Resources": [f"arn:aws:sagemaker:us-east-1:123456789012:labeling-job/{task.name}"],
        "Detail": json.dumps({"LabelingJobStatus": "Failed"})}])
    done = wait_for_job(store, job.job_id, timeout=60)
    assert done.status == FAILED and done.error.endswith("failed: workers rejected the task")


def test_strange_events_and_a_worker_killed_while_the_job_waits(clients, store, run_worker, media):
    first = run_worker(concurrency=2)
    # An event for a labeling job nobody here waits on is acknowledged (logged), not retried
    clients.events.put_events(Entries=[{
        "Source": "aws.sagemaker", "DetailType": "SageMaker Ground Truth Labeling Job State Change",
        "Resources": ["arn:aws:sagemaker:us-east-1:123456789012:labeling-job/someone-elses-job"],
        "Detail": json.dumps({"LabelingJobStatus": "Completed"})}])
    wait_for(lambda: events_left(clients) == 0, 30, "the unknown labeling job's event to be acknowledged")
    # A body that is no event at all (sent to the queue directly) is poison: it ends in the dead-letter queue
    url = clients.sqs.get_queue_url(QueueName=clients.names.events_queue)["QueueUrl"]
    clients.sqs.send_message(QueueUrl=url, MessageBody='{"detail-type": "something else"}')
    dlq = clients.sqs.get_queue_url(QueueName=clients.names.dlq("events"))["QueueUrl"]
    wait_for(lambda: clients.sqs.receive_message(QueueUrl=dlq, WaitTimeSeconds=0).get("Messages"), 60,
             "the malformed body to be dead-lettered")

    # The worker is stopped while people label: nothing runs, nothing is lost
    job, task = _images_only_job(clients, store, media, "survivor")
    first.stop()
    _label_stills(clients, task, media)
    BuiltinLabeler(clients).finish(task)  # the event waits on the queue for the next worker
    assert store.get_job(job.job_id).status == WAITING
    run_worker(concurrency=2)
    done = wait_for_job(store, job.job_id, timeout=240)
    assert done.status == SUCCEEDED, done.error
    assert done.stages["collect"].done == 1 and done.result["examples"]["images"] == len(media["images"])


def test_requests_that_cannot_label_say_why_before_anything_starts(clients, media, tmp_path):
    submit = Submitter(clients)
    files = [p for p, _ in media["images"]]
    with pytest.raises(RequestError, match="'A-very-long-label-name' has 22 characters"):
        submit.train_media(files, "Acme,A-very-long-label-name", "x")
    with pytest.raises(RequestError, match="label 'Acme' is given twice"):
        submit.train_media(files, "Acme,Acme", "x")
    with pytest.raises(RequestError, match="runs on AWS"):
        submit.train_media(files, "Acme", "x", labeler="groundtruth")
    with pytest.raises(RequestError, match="no such file"):
        submit.train_media([tmp_path / "missing.mp4"], "Acme", "x")
    with pytest.raises(RequestError, match="unknown labeler"):
        submit.train_media(files, "Acme", "x", labeler="mturk")
    assert formats.check_labels([" Acme ", "Borealis"]) == ["Acme", "Borealis"]
