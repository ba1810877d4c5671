"""Collect: labels in, training manifest out (the seed's "collect annotations" step), then train.

The labels are the output of the labeling job the training waited for (Ground Truth's format,
whichever labeler wrote it; frames left without a box stay as negatives), or a Ground Truth
output manifest or COCO file with the images it names, which the request uploaded (images by
content hash), saying where each `source-ref` as written is in S3.
Every image is checked here, where the data is: one that is missing or not an image is named
with its line, beside every other problem, in one failure. The manifest written is Ground Truth's output format, which both backends train from.
"""

from __future__ import annotations

import posixpath
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np

from shared.errors import JobError
from shared.labeling import formats
from shared.labeling.task import LabelingTask
from shared.media.errors import MediaError
from shared.media.images import check_image_pixels
from shared.messages import CollectMessage, TrainMessage
from shared.models.dataset import Dataset
from shared.models.lifecycle import version_to_train
from shared.models.manifest import ManifestError, bucket_refused, line_of, parse_manifest, problems, refuse, to_ground_truth_lines
from workers.context import StageContext
from workers.registry import Result, stage


@stage("collect", visibility_timeout=300, time_limit=1800)
def collect(msg: CollectMessage, ctx: StageContext) -> Result:
    mv = version_to_train(ctx.models, msg.model, msg.model_version)
    if msg.labeling_job is not None:
        dataset, where_is = _labeled(msg.labeling_job, ctx), {}
    else:
        assert msg.manifest_key is not None
        text = ctx.storage.get_bytes(msg.manifest_key).decode("utf-8-sig")
        dataset = parse_manifest(text, kind=msg.kind, name=posixpath.basename(msg.manifest_key))
        where_is = ctx.storage.get_json(msg.images_key) if msg.images_key else {}
    found = problems(dataset)
    refs = [where_is.get(item.source_ref, item.source_ref) for item in dataset.items]
    allowed = ctx.clients.config.allowed_buckets
    with ThreadPoolExecutor(max_workers=8) as pool:  # thousands of frames: read them side by side
        shapes = list(pool.map(lambda ref: _shape(ctx, ref, allowed), refs))
    for item, ref, shape in zip(dataset.items, refs, shapes):
        if isinstance(shape, tuple):
            item.height, item.width = shape
        elif shape == "refused":
            found.append(f"{line_of(dataset, item)}: {bucket_refused(ref, allowed)}")
        elif not ref.startswith("s3://"):
            found.append(f"{line_of(dataset, item)}: image not found: {ref} (not uploaded with the manifest)")
        elif shape == "missing":
            found.append(f"{line_of(dataset, item)}: image not found: {ref}")
        elif shape == "unreadable":
            found.append(f"{line_of(dataset, item)}: not an image: {item.source_ref}")
        else:
            found.append(f"{line_of(dataset, item)}: {shape}")
    if not found:
        found = problems(dataset)  # again: image sizes read from the files can put boxes outside them
    refuse(found)
    if dataset.labels != mv.labels:
        raise ManifestError(f"the labels changed since the request ({', '.join(mv.labels)} -> "
                            f"{', '.join(dataset.labels)}); train again")
    ctx.storage.put_bytes(mv.manifest_key, to_ground_truth_lines(dataset, refs).encode(), "application/jsonl")
    counts = dataset.count()
    ctx.models.update_version(msg.model, msg.model_version, counts=counts)
    negatives = sum(1 for item in dataset.items if not item.boxes and not item.labels)
    return Result(messages=[TrainMessage.for_version(msg.job_id, msg.model, msg.model_version)], expect={"train": 1},
                  metrics={"images": len(dataset.items)},
                  outputs={"examples": {"images": len(dataset.items), "negatives": negatives, "per_label": counts}})


def _shape(ctx: StageContext, ref: str, allowed: tuple[str, ...]) -> tuple[int, int] | str:
    """(height, width) of an image in S3, or why there is none: "missing", "refused" (a bucket the
    configuration does not allow is never read: the workers' role may reach more than users should),
    "unreadable", or the refusal of an image whose header claims more pixels than max_image_pixels
    (never decoded)."""
    if not ref.startswith("s3://"):
        return "missing"
    if bucket_refused(ref, allowed):
        return "refused"
    bucket, _, obj = ref[5:].partition("/")
    try:
        data = ctx.clients.s3.get_object(Bucket=bucket, Key=obj)["Body"].read()
    except Exception:
        return "missing"
    try:
        check_image_pixels(data, posixpath.basename(obj), ctx.config.max_image_pixels)
    except MediaError as exc:
        return str(exc)
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    return "unreadable" if image is None else (int(image.shape[0]), int(image.shape[1]))


def _labeled(name: str, ctx: StageContext) -> Dataset:
    """The labeling job's output (Ground Truth's format, whichever labeler wrote it) as a dataset."""
    record = ctx.labels.get(name)
    if record is None:
        raise JobError(f"labeling job {name} is not known here")
    task = LabelingTask.model_validate(ctx.storage.get_json(record.task_key))
    key = ctx.storage.key_of(formats.output_manifest_key(task.output_prefix, name))
    if not ctx.storage.exists(key):
        raise JobError(f"labeling job {name} completed without an output manifest ({ctx.storage.uri(key)})")

    def fetch(uri: str) -> bytes:
        return ctx.storage.get_bytes(ctx.storage.key_of(uri))

    try:
        return formats.read_output(ctx.storage.get_bytes(key).decode("utf-8-sig"), task.kind, task.labels, fetch,
                                   unlisted_are_negatives=task.labeler == "groundtruth")
    except formats.LabelingFormatError as exc:
        raise JobError(f"labeling job {name}: {exc}") from None
