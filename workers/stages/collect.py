"""Collect: labels in, training manifest out (the seed's "collect annotations" step), then train.

The labels are a Ground Truth output manifest or a COCO file with the images it names; the request
uploaded both (images by content hash) and says where each `source-ref` as written is in S3.
Every image is checked here, where the data is: one that is missing or not an image is named
with its line, beside every other problem, in one failure. The manifest written is Ground Truth's output format, which both backends train from.
"""

from __future__ import annotations

import posixpath

import cv2
import numpy as np

from shared.messages import CollectMessage, TrainMessage
from shared.models.lifecycle import version_to_train
from shared.models.manifest import ManifestError, line_of, parse_manifest, problems, refuse, to_ground_truth_lines
from workers.context import StageContext
from workers.registry import Result, stage


@stage("collect", visibility_timeout=300, time_limit=1800)
def collect(msg: CollectMessage, ctx: StageContext) -> Result:
    mv = version_to_train(ctx.models, msg.model, msg.model_version)
    text = ctx.storage.get_bytes(msg.manifest_key).decode("utf-8-sig")
    dataset = parse_manifest(text, kind=msg.kind, name=posixpath.basename(msg.manifest_key))
    found = problems(dataset)
    where_is: dict[str, str] = ctx.storage.get_json(msg.images_key) if msg.images_key else {}
    refs = []
    for item in dataset.items:
        ref = where_is.get(item.source_ref, item.source_ref)
        if not ref.startswith("s3://"):
            found.append(f"{line_of(dataset, item)}: image not found: {ref} (not uploaded with the manifest)")
            refs.append(ref)
            continue
        bucket, _, obj = ref[5:].partition("/")
        try:
            data = ctx.clients.s3.get_object(Bucket=bucket, Key=obj)["Body"].read()
        except Exception:
            found.append(f"{line_of(dataset, item)}: image not found: {ref}")
            refs.append(ref)
            continue
        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
        if image is None:
            found.append(f"{line_of(dataset, item)}: not an image: {item.source_ref}")
        else:
            item.height, item.width = image.shape[:2]
        refs.append(ref)
    if not found:
        found = problems(dataset)  # again: image sizes read from the files can put boxes outside them
    refuse(found)
    if dataset.labels != mv.labels:
        raise ManifestError(f"the labels changed since the request ({', '.join(mv.labels)} -> "
                            f"{', '.join(dataset.labels)}); train again")
    ctx.storage.put_bytes(mv.manifest_key, to_ground_truth_lines(dataset, refs).encode(), "application/jsonl")
    return Result(messages=[TrainMessage.for_version(msg.job_id, msg.model, msg.model_version)], expect={"train": 1},
                  metrics={"images": len(dataset.items)})
