"""The Ground Truth labeler: `CreateLabelingJob` for the two built-in task types the AWS sample uses.

Video-frame object detection (boxes, one frame sequence per video) and single-label image
classification (concept; one label gets the sample's placeholder class beside it). The region's
pre-annotation and consolidation Lambdas are AWS's own (a fixed account per region); the work
team, role and timings come from config. Ground Truth announces the end on EventBridge, so nothing
here polls: `failure_reason` is asked only once a Failed or Stopped event arrived.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from shared.config import Config
from shared.labeling.labelers import LabelingError
from shared.labeling.task import LabelingTask
from shared.labeling.formats import CLASS_ATTRIBUTE, VIDEO_ATTRIBUTE, class_labels

#: Account that owns the built-in PRE-/ACS- Lambdas, per region (SageMaker API reference,
#: HumanTaskConfig; the same table as the sample's builtInTaskTypes.js).
LAMBDA_ACCOUNTS = {
    "us-east-1": "432418664414", "us-east-2": "266458841044", "us-west-2": "081040173940",
    "ca-central-1": "918755190332", "eu-west-1": "568282634449", "eu-west-2": "487402164563",
    "eu-central-1": "203001061592", "ap-northeast-1": "477331159723", "ap-northeast-2": "845288260483",
    "ap-south-1": "565803892007", "ap-southeast-1": "377565633583", "ap-southeast-2": "454466003867",
}
VIDEO_UI_ACCOUNT = "394669845002"  # owns the video-frame worker UI in every region
MAX_VIDEO_LABELS = 30  # label category config for video frame tasks
MAX_CLASSIFIER_LABELS = 10  # crowd-image-classifier categories

# (task, title, description, keywords) as the sample sends them
TASKS = {
    "object": ("VideoObjectDetection", "Detect objects in video frames: Draw bounding box around the objects",
               "Video frame object detection", ["video", "detection"]),
    "concept": ("ImageMultiClass", "Single Label Image Classification: Select a label best represents the images",
                "Categorize images into specific classes", ["images", "categorization", "classification"]),
}


def problems(config: Config, kind: str, labels: list[str]) -> list[str]:
    """Everything that stops a Ground Truth job from starting, each naming the setting to fix."""
    found = []
    if not config.groundtruth_workteam_arn:
        found.append("Ground Truth needs a work team: set BRANDVIS_GROUNDTRUTH_WORKTEAM_ARN (a private or vendor "
                     "team, arn:aws:sagemaker:<region>:<account>:workteam/...)")
    elif ":workteam/" not in config.groundtruth_workteam_arn:
        found.append(f"BRANDVIS_GROUNDTRUTH_WORKTEAM_ARN {config.groundtruth_workteam_arn!r} is not a work team ARN")
    if not config.groundtruth_role_arn:
        found.append("Ground Truth needs an IAM role to read the frames and write the labels: set "
                     "BRANDVIS_GROUNDTRUTH_ROLE_ARN (terraform output groundtruth_role_arn)")
    if config.region not in LAMBDA_ACCOUNTS:
        found.append(f"Ground Truth's built-in tasks are not offered in {config.region}; use one of "
                     f"{', '.join(sorted(LAMBDA_ACCOUNTS))}, or --labeler builtin")
    limit = MAX_VIDEO_LABELS if kind == "object" else MAX_CLASSIFIER_LABELS
    if len(class_labels(labels) if kind == "concept" else labels) > limit:
        found.append(f"{len(labels)} labels: Ground Truth's {TASKS[kind][0]} task shows at most {limit}; "
                     f"use --labeler builtin")
    return found


def lambda_arn(region: str, kind: str, stage: str) -> str:
    return f"arn:aws:lambda:{region}:{LAMBDA_ACCOUNTS[region]}:function:{stage}-{TASKS[kind][0]}"


def create_request(task: LabelingTask, config: Config) -> dict[str, Any]:
    """The CreateLabelingJob request for this task, field for field the sample's."""
    found = problems(config, task.kind, task.labels)
    if found:
        raise LabelingError("; ".join(found))
    region = config.region
    task_type, title, description, keywords = TASKS[task.kind]
    if task.kind == "object":
        ui: dict[str, Any] = {"HumanTaskUiArn": f"arn:aws:sagemaker:{region}:{VIDEO_UI_ACCOUNT}:human-task-ui/{task_type}"}
        attribute = VIDEO_ATTRIBUTE
    else:
        if not task.template_uri:
            raise ValueError("image classification needs its worker template's S3 URI")
        ui, attribute = {"UiTemplateS3Uri": task.template_uri}, CLASS_ATTRIBUTE
    return {
        "LabelingJobName": task.name,
        "LabelAttributeName": attribute,
        "InputConfig": {"DataSource": {"S3DataSource": {"ManifestS3Uri": task.manifest_uri}},
                        "DataAttributes": {"ContentClassifiers": []}},
        "OutputConfig": {"S3OutputPath": task.output_prefix},
        "RoleArn": config.groundtruth_role_arn,
        "LabelCategoryConfigS3Uri": task.config_uri,
        "StoppingConditions": {"MaxPercentageOfInputDatasetLabeled": 100},
        "HumanTaskConfig": {
            "WorkteamArn": config.groundtruth_workteam_arn,
            "UiConfig": ui,
            "PreHumanTaskLambdaArn": lambda_arn(region, task.kind, "PRE"),
            "AnnotationConsolidationConfig": {"AnnotationConsolidationLambdaArn": lambda_arn(region, task.kind, "ACS")},
            "TaskTitle": title,
            "TaskDescription": description,
            "TaskKeywords": keywords,
            "NumberOfHumanWorkersPerDataObject": 1,
            "TaskTimeLimitInSeconds": config.groundtruth_task_seconds,
            "TaskAvailabilityLifetimeInSeconds": config.groundtruth_available_seconds,
            "MaxConcurrentTaskCount": 1000,
        },
        "Tags": [{"Key": "brandvis:job", "Value": task.job_id}],
    }


class GroundTruthLabeler:
    name = "groundtruth"

    def __init__(self, sagemaker: Any, config: Config) -> None:
        self.sagemaker = sagemaker
        self.config = config

    def start(self, task: LabelingTask) -> None:
        request = create_request(task, self.config)
        try:
            self.sagemaker.create_labeling_job(**request)
        except ClientError as exc:
            code, message = exc.response["Error"]["Code"], exc.response["Error"].get("Message", "")
            if code == "ResourceInUse" or "already exists" in message:
                self._check_ours(task)  # a redelivered message: the job was created by the first attempt
                return
            if code in ("ValidationException", "ResourceLimitExceeded", "AccessDeniedException"):
                raise LabelingError(f"Ground Truth refused the labeling job {task.name}: {code}: {message}") from None
            raise  # throttling, outages: the runtime retries the message with backoff

    def _check_ours(self, task: LabelingTask) -> None:
        desc = self.sagemaker.describe_labeling_job(LabelingJobName=task.name)
        manifest = desc["InputConfig"]["DataSource"]["S3DataSource"]["ManifestS3Uri"]
        if manifest != task.manifest_uri:
            raise LabelingError(f"a labeling job named {task.name} exists already and labels {manifest}, not this "
                                f"job's frames")

    def failure_reason(self, name: str, status: str) -> str:
        desc = self.sagemaker.describe_labeling_job(LabelingJobName=name)
        return str(desc.get("FailureReason") or ("stopped by user" if status == "Stopped" else f"labeling ended {status}"))
