"""Label: frames in, a labeling job out (the seed's "prepare labeling" and "start and wait labeling job").

Writes Ground Truth's input files (one frame sequence per video, plus one for uploaded images in
object mode; the dataset manifest; the label configuration), records which job waits on the
labeling job (the seed's task token), starts it on the chosen labeler and hands the job to people:
WAITING, until the labeler's state-change event comes back through the events queue. With the
built-in labeler and a model to propose boxes, its detections are stored beside the task first.
A redelivered message finds the task written and the labeling job registered, and changes nothing.
"""

from __future__ import annotations

import logging
import posixpath
from typing import Any

from shared import layout
from shared.errors import JobError
from shared.labeling import formats
from shared.labeling.prelabels import propose
from shared.labeling.store import IN_PROGRESS, LabelingJob
from shared.labeling.task import (LabelingTask, TaskSequence, input_prefix, labeling_job_name, output_prefix,
                                  prelabels_key, task_key)
from shared.messages import LabelMessage, Sampling, VideoRef
from shared.table import now_iso
from workers.context import StageContext
from workers.registry import Result, stage

log = logging.getLogger("brandvis.worker")


def video_frames(ctx: StageContext, video: VideoRef, sampling: Sampling) -> tuple[list[dict[str, Any]], list[int]]:
    """Every extracted frame of a video in time order (from its segments' indexes), and the frame size."""
    frames: list[dict[str, Any]] = []
    size: list[int] = []
    prefix = f"{layout.sampling_prefix(video.video_id, sampling)}/segments/"
    for key in sorted(ctx.storage.list_keys(prefix)):
        index = ctx.storage.get_json(key)
        frames.extend(index["frames"])
        size = size or list(index.get("frame_size") or [])
    return sorted(frames, key=lambda f: f["t"]), size


def _write_inputs(msg: LabelMessage, ctx: StageContext, name: str) -> LabelingTask:
    uri = ctx.storage.uri
    base = input_prefix(name)
    sequences: list[TaskSequence] = []
    sizes: dict[str, list[int]] = {}
    for n, video in enumerate(msg.videos, 1):
        frames, size = video_frames(ctx, video, msg.sampling)
        if not frames:
            raise JobError(f"{video.name}: no frames were extracted to label")
        picked = formats.thin([f["name"] for f in frames], msg.max_frames)
        times = {f["name"]: float(f["t"]) for f in frames}
        sequences.append(TaskSequence(seq_no=n, source=video.name, video_id=video.video_id,
                                      prefix=uri(layout.frames_prefix(video.video_id, msg.sampling)),
                                      frames=[f"{p}.jpg" for p in picked], times=[times[p] for p in picked]))
        sizes[str(n)] = size
    images = ctx.storage.get_json(msg.images_key) if msg.images_key else []
    if images:
        # Ground Truth reads a sequence's frames from one prefix: the images are copied under it.
        names = []
        for image in images:
            file = f"{image['id'][:12]}-{posixpath.basename(image['key'])}"
            ctx.storage.copy(image["key"], f"{base}images/{file}")
            names.append(file)
        sequences.append(TaskSequence(seq_no=len(sequences) + 1, source="images", prefix=uri(f"{base}images/"),
                                      frames=names))
    if not sequences:
        raise JobError("nothing to label: give at least one video or image")

    if msg.kind == "object":
        placed = []
        for s in sequences:
            key = f"{base}seq-{s.seq_no}.json"
            ctx.storage.put_json(key, formats.sequence_file(s.seq_no, s.prefix, s.frames))
            placed.append(s.model_copy(update={"uri": uri(key)}))
        sequences = placed
        manifest = formats.manifest_lines(s.uri for s in sequences)
        config: dict[str, Any] = formats.video_label_config(msg.labels)
        template = None
    else:
        manifest = formats.manifest_lines(s.prefix + f for s in sequences for f in s.frames)
        config = formats.class_label_config(msg.labels)
        template = f"{base}{formats.TEMPLATE_NAME}"
        ctx.storage.put_bytes(template, formats.CLASSIFICATION_TEMPLATE.encode(), "text/html")
    ctx.storage.put_bytes(f"{base}dataset.manifest", manifest.encode(), "application/jsonl")
    ctx.storage.put_json(f"{base}labelCategoryConfig.json", config)
    task = LabelingTask(name=name, job_id=msg.job_id, kind=msg.kind, labels=msg.labels, labeler=msg.labeler,
                        model=msg.model, model_version=msg.model_version, sequences=sequences,
                        manifest_uri=uri(f"{base}dataset.manifest"), config_uri=uri(f"{base}labelCategoryConfig.json"),
                        template_uri=uri(template) if template else None, output_prefix=uri(output_prefix(name)),
                        prelabel=msg.prelabel, created_at=now_iso(), frame_sizes=sizes)
    ctx.storage.put_json(task_key(name), task.model_dump())
    return task


@stage("label", visibility_timeout=300, time_limit=3600)
def label(msg: LabelMessage, ctx: StageContext) -> Result:
    name = labeling_job_name(msg.model, msg.job_id)
    key = task_key(name)
    task = (LabelingTask.model_validate(ctx.storage.get_json(key)) if ctx.storage.exists(key)
            else _write_inputs(msg, ctx, name))
    warnings = []
    if task.prelabel is not None and task.labeler == "builtin":
        done = all(ctx.storage.exists(prelabels_key(name, s.seq_no)) for s in task.sequences)
        if not done:
            try:
                warnings += propose(task, ctx.models, ctx.backend, ctx.storage)
            except Exception as exc:  # proposals save work; their absence must not stop the labeling
                log.warning("event=prelabels-failed labeling=%s error=%s", name, exc)
                warnings.append(f"pre-labels: not made ({type(exc).__name__}: {exc}); label without them")
    ctx.labels.register(LabelingJob(name=name, job_id=msg.job_id, labeler=task.labeler, kind=task.kind,
                                    status=IN_PROGRESS, task_key=key, frames=task.frame_count,
                                    created_at=task.created_at))
    ctx.labeler(task.labeler).start(task)
    return Result(waiting=True, warnings=warnings,
                  outputs={"labeling": {"name": name, "labeler": task.labeler, "frames": task.frame_count,
                                        "sequences": len(task.sequences), "task": ctx.storage.uri(key)}},
                  metrics={"frames": task.frame_count})
