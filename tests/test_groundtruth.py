"""The Ground Truth labeler against botocore's Stubber, on the documented CreateLabelingJob and
DescribeLabelingJob shapes: both task types, a redelivered start, throttling, a missing work
team; then the whole wait on the local stack (throttled once), with Ground Truth's own output
and event."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from shared.config import Config
from shared.jobs import SUCCEEDED, WAITING
from shared.labeling import formats, groundtruth
from shared.labeling.groundtruth import GroundTruthLabeler, create_request
from shared.labeling.labelers import LabelingError
from shared.labeling.store import LabelStore
from shared.labeling.task import LabelingTask, TaskSequence, labeling_job_name
from shared.models.store import ModelStore, model_prefix
from tests.conftest import wait_for, wait_for_job

TEAM = "arn:aws:sagemaker:eu-west-1:111122223333:workteam/private-crowd/brand-team"
ROLE = "arn:aws:iam::111122223333:role/brandvis-groundtruth"
GT = Config(mode="aws", region="eu-west-1", bucket="b", groundtruth_workteam_arn=TEAM, groundtruth_role_arn=ROLE)


def sagemaker(region: str = "eu-west-1"):
    return boto3.client("sagemaker", region_name=region, aws_access_key_id="x", aws_secret_access_key="x")


def task(kind: str = "object", labels=("Acme", "Borealis")) -> LabelingTask:
    base = "s3://b/labeling/logos-0123/input/"
    return LabelingTask(name="logos-0123", job_id="job-1", kind=kind, labels=list(labels), labeler="groundtruth",
                        model="logos", model_version=1,
                        sequences=[TaskSequence(seq_no=1, source="match.mp4", prefix="s3://b/media/v/frames/",
                                                frames=["0.jpg", "250.jpg"], uri=base + "seq-1.json")],
                        manifest_uri=base + "dataset.manifest", config_uri=base + "labelCategoryConfig.json",
                        template_uri=base + formats.TEMPLATE_NAME if kind == "concept" else None,
                        output_prefix="s3://b/labeling/output/")


def test_video_frame_object_detection_request_is_the_samples():
    req = create_request(task("object"), GT)
    hc = req["HumanTaskConfig"]
    assert req["LabelingJobName"] == "logos-0123" and req["LabelAttributeName"] == "bounding-box-ref"
    assert hc["UiConfig"] == {"HumanTaskUiArn": "arn:aws:sagemaker:eu-west-1:394669845002:human-task-ui/VideoObjectDetection"}
    assert hc["PreHumanTaskLambdaArn"] == "arn:aws:lambda:eu-west-1:568282634449:function:PRE-VideoObjectDetection"
    assert hc["AnnotationConsolidationConfig"] == {
        "AnnotationConsolidationLambdaArn": "arn:aws:lambda:eu-west-1:568282634449:function:ACS-VideoObjectDetection"}
    assert (hc["NumberOfHumanWorkersPerDataObject"], hc["TaskTimeLimitInSeconds"],
            hc["TaskAvailabilityLifetimeInSeconds"]) == (1, 10800, 259200)
    assert req["InputConfig"]["DataSource"]["S3DataSource"]["ManifestS3Uri"].endswith("/dataset.manifest")
    assert req["RoleArn"] == ROLE and hc["WorkteamArn"] == TEAM and req["OutputConfig"]["S3OutputPath"].endswith("/")
    # and the whole request is valid for the service model (Stubber checks every field and pattern)
    client = sagemaker()
    with Stubber(client) as stub:
        stub.add_response("create_labeling_job", {"LabelingJobArn": "arn:aws:sagemaker:eu-west-1:111122223333:"
                                                                    "labeling-job/logos-0123"}, req)
        GroundTruthLabeler(client, GT).start(task("object"))
        stub.assert_no_pending_responses()


def test_image_classification_uses_the_template_and_the_classifier_lambdas():
    req = create_request(task("concept", labels=("Stadium",)), GT)
    hc = req["HumanTaskConfig"]
    assert req["LabelAttributeName"] == "image-classification"
    assert hc["UiConfig"] == {"UiTemplateS3Uri": "s3://b/labeling/logos-0123/input/imageClassificationTemplate.liquid"}
    assert hc["PreHumanTaskLambdaArn"].endswith(":568282634449:function:PRE-ImageMultiClass")
    # one label: the sample's placeholder class is added, so Ground Truth has the two it needs
    assert formats.class_label_config(["Stadium"]) == {"document-version": "2018-11-28",
                                                       "labels": [{"label": "Stadium"}, {"label": "PLACE_HOLDER"}]}
    client = sagemaker()
    with Stubber(client) as stub:
        stub.add_response("create_labeling_job", {"LabelingJobArn": "arn:aws:sagemaker:eu-west-1:111122223333:"
                                                                    "labeling-job/logos-0123"}, req)
        GroundTruthLabeler(client, GT).start(task("concept", labels=("Stadium",)))


def test_a_redelivered_start_finds_its_own_job_and_a_strangers_is_refused():
    client = sagemaker()
    mine = task()
    described = {"LabelingJobStatus": "InProgress", "LabelCounters": {}, "CreationTime": "2026-12-01T10:00:00Z",
                 "LastModifiedTime": "2026-12-01T10:00:00Z", "JobReferenceCode": "x", "LabelingJobName": mine.name,
                 "LabelingJobArn": "arn:aws:sagemaker:eu-west-1:111122223333:labeling-job/logos-0123",
                 "LabelAttributeName": "bounding-box-ref", "RoleArn": ROLE,
                 "InputConfig": {"DataSource": {"S3DataSource": {"ManifestS3Uri": mine.manifest_uri}}},
                 "OutputConfig": {"S3OutputPath": mine.output_prefix},
                 "HumanTaskConfig": create_request(mine, GT)["HumanTaskConfig"]}
    with Stubber(client) as stub:
        stub.add_client_error("create_labeling_job", "ResourceInUse", "Job logos-0123 already exists")
        stub.add_response("describe_labeling_job", described, {"LabelingJobName": mine.name})
        GroundTruthLabeler(client, GT).start(mine)
        stranger = {**described, "InputConfig": {"DataSource": {"S3DataSource": {"ManifestS3Uri": "s3://o/x"}}}}
        stub.add_client_error("create_labeling_job", "ResourceInUse", "Job logos-0123 already exists")
        stub.add_response("describe_labeling_job", stranger, {"LabelingJobName": mine.name})
        with pytest.raises(LabelingError, match="exists already and labels s3://o/x"):
            GroundTruthLabeler(client, GT).start(mine)


def test_throttling_is_not_the_users_fault():
    client = sagemaker()
    with Stubber(client) as stub:
        stub.add_client_error("create_labeling_job", "ThrottlingException", "Rate exceeded", http_status_code=400)
        with pytest.raises(ClientError) as caught:  # not a LabelingError: the runtime retries the message
            GroundTruthLabeler(client, GT).start(task())
        assert not isinstance(caught.value, LabelingError)


def test_a_missing_work_team_or_role_is_named_before_any_call():
    bare = Config(mode="aws", region="eu-west-1", bucket="b")
    found = groundtruth.problems(bare, "object", ["Acme"])
    assert any("BRANDVIS_GROUNDTRUTH_WORKTEAM_ARN" in p for p in found)
    assert any("BRANDVIS_GROUNDTRUTH_ROLE_ARN" in p for p in found)
    with Stubber(sagemaker()) as stub:  # nothing queued: any call would fail the test
        with pytest.raises(LabelingError, match="needs a work team"):
            GroundTruthLabeler(stub.client, bare).start(task())
    # a work team Ground Truth cannot find: its own ValidationException, as the job's reason
    client = sagemaker()
    with Stubber(client) as stub:
        stub.add_client_error("create_labeling_job", "ValidationException",
                              f"Workteam {TEAM} does not exist", http_status_code=400)
        with pytest.raises(LabelingError, match="does not exist"):
            GroundTruthLabeler(client, GT).start(task())
    assert groundtruth.problems(GT.replace(region="sa-east-1"), "object", ["Acme"])[0].startswith(
        "Ground Truth's built-in tasks are not offered in sa-east-1")
    assert "at most 10" in groundtruth.problems(GT, "concept", [f"L{i}" for i in range(11)])[0]


def test_failure_reason_comes_from_describe_labeling_job():
    client = sagemaker()
    with Stubber(client) as stub:
        stub.add_response("describe_labeling_job", {
            "LabelingJobStatus": "Failed", "FailureReason": "ClientError: manifest not found", "LabelCounters": {},
            "CreationTime": "2026-12-01T10:00:00Z", "LastModifiedTime": "2026-12-01T10:00:00Z",
            "JobReferenceCode": "x", "LabelingJobName": "n", "LabelingJobArn": "arn:aws:sagemaker:eu-west-1:1:labeling-job/n",
            "LabelAttributeName": "bounding-box-ref", "RoleArn": ROLE,
            "InputConfig": {"DataSource": {"S3DataSource": {"ManifestS3Uri": "s3://b/m"}}},
            "OutputConfig": {"S3OutputPath": "s3://b/o/"},
            "HumanTaskConfig": create_request(task(), GT)["HumanTaskConfig"]}, {"LabelingJobName": "n"})
        assert GroundTruthLabeler(client, GT).failure_reason("n", "Failed") == "ClientError: manifest not found"


def test_the_whole_wait_with_ground_truth_on_the_local_stack(clients, store, storage, run_worker, tmp_path):
    """The label stage starts a Ground Truth job (stubbed: the emulator has no SageMaker), the job
    waits; Ground Truth's output and its Completed event (source aws.sagemaker) resume it."""
    import cv2

    from devtools.synth.benchmark import make_benchmark
    from shared.submit import Submitter

    bench = make_benchmark(seed=7, n_train=12, n_test=0, photos=[])
    labels = sorted({i.label for f in bench.train for i in f.instances if i.is_brand})
    counts = {b: sum(i.label == b for f in bench.train for i in f.instances if i.is_brand) for b in labels}
    labels = [b for b in labels if counts[b] >= 3]
    files = []
    for n, frame in enumerate(bench.train):
        files.append(tmp_path / f"still-{n}.jpg")
        cv2.imwrite(str(files[-1]), frame.image)

    client = sagemaker("us-east-1")
    clients._extra["sagemaker"] = client  # what clients.client("sagemaker") hands the labeler
    # "AWS mode" against the emulator (same bucket name): only SageMaker, which it lacks, is stubbed
    clients.config = clients.config.replace(mode="aws", bucket=clients.names.bucket,
                                            groundtruth_workteam_arn=TEAM.replace("eu-west-1", "us-east-1"),
                                            groundtruth_role_arn=ROLE)
    stub = Stubber(client)  # throttled once (the label message is retried), then accepted
    stub.add_client_error("create_labeling_job", "ThrottlingException", "Rate exceeded", http_status_code=400)
    stub.add_response("create_labeling_job", {"LabelingJobArn": "arn:aws:sagemaker:us-east-1:123456789012:"
                                                                "labeling-job/x"})
    stub.activate()
    run_worker(concurrency=2)
    job, mv = Submitter(clients).train_media(files, labels, "logos", labeler="groundtruth")
    name = labeling_job_name("logos", job.job_id)
    wait_for(lambda: (store.get_job(job.job_id) or job).status == WAITING, 60, "the job to wait for Ground Truth")
    stub.assert_no_pending_responses()
    assert "ThrottlingException" in (store.get_job(job.job_id).stages["label"].last_error or "")
    labeling = LabelStore(clients.dynamodb, clients.names.jobs_table).get(name)
    assert labeling is not None and labeling.labeler == "groundtruth" and labeling.job_id == job.job_id

    # Ground Truth writes its output (a SeqLabel.json per sequence; unlisted frames are empty) ...
    task_ = LabelingTask.model_validate(storage.get_json(labeling.task_key))
    seq = task_.sequences[0]
    truth = {f"{n}": [(i.label, i.box) for i in bench.train[n].instances if i.is_brand and i.label in labels]
             for n in range(len(bench.train))}
    frames = []
    for no, file in enumerate(seq.frames):
        n = next(k for k in truth if file.endswith(f"still-{k}.jpg"))
        boxes = [formats.Box(label, x0, y0, x1 - x0, y1 - y0) for label, (x0, y0, x1, y1) in truth[n]]
        if boxes:
            frames.append(formats.FrameBoxes(no, file, boxes))
    seq_key = storage.key_of(formats.seq_label_key(task_.output_prefix, name, 0))
    storage.put_json(seq_key, formats.seq_label(frames, labels))
    line = formats.video_output_line(seq.uri, storage.uri(seq_key), formats.class_map(labels), name,
                                     "2026-12-01T10:00:00.000000")
    storage.put_bytes(storage.key_of(formats.output_manifest_key(task_.output_prefix, name)),
                      (json.dumps(line) + "\n").encode())
    # ... and announces it on EventBridge
    clients.events.put_events(Entries=[{
        "Source": "aws.sagemaker", "DetailType": "SageMaker Ground Truth Labeling Job State Change",
        "Resources": [f"arn:aws:sagemaker:us-east-1:123456789012:labeling-job/{name}"],
        "Detail": json.dumps({"LabelingJobStatus": "Completed"})}])
    done = wait_for_job(store, job.job_id, timeout=240)
    assert done.status == SUCCEEDED, done.error
    assert done.result["examples"]["images"] == len(bench.train)
    assert ModelStore(clients.dynamodb, clients.names.jobs_table).get_version("logos").manifest_key == \
        f"{model_prefix('logos', mv.version)}/manifest.jsonl"
    stub.deactivate()
