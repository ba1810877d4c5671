"""Training: the seed's training state machine as groups of messages.

    probe (per video) ─> extract (per segment, counted per video) ─┐
    uploaded images ───────────────────────────────────────────────┴─> label ··· WAITING ···
        events (labeling job Completed) ─> collect ─> train ─> done

A job that brings its own labels (a manifest) starts at collect; a text-only model, or a version
that only changes its words, at train. Labeling starts once every video's frames are out: each
video's segments are their own counter (`extract@<video>`), since each probe learns its own
count; whichever of the last probe and the last extract group completes second sees all done.
"""

from __future__ import annotations

from typing import Any

from shared.jobs import Job
from shared.messages import LabelMessage, ModelRef, Sampling, VideoRef
from workers.flows import Transition


def frames_ready(job: Job) -> bool:
    videos = job.request.get("videos") or []
    probe = job.stages.get("probe")
    if videos and (probe is None or not probe.complete):
        return False
    return all((p := job.stages.get(f"extract@{v['video_id']}")) is not None and p.complete for v in videos)


def label_message(job: Job) -> LabelMessage:
    req = job.request
    prelabel = req.get("prelabel")
    return LabelMessage.for_job(job.job_id, model=req["model"], model_version=req["version"], kind=req["type"],
                                labels=req["labels"], labeler=req["labeler"],
                                videos=[VideoRef(**v) for v in req.get("videos") or []],
                                sampling=Sampling(**req["sampling"]), images_key=req.get("images_key"),
                                max_frames=int(req.get("max_frames", 1200)),
                                prelabel=ModelRef(**prelabel) if prelabel else None)


def result(job: Job) -> dict[str, Any]:
    req, out = job.request, job.outputs
    found: dict[str, Any] = {"model": req["model"], "version": req["version"], "backend": req["backend"],
                             "type": req["type"], "f1": out.get("f1")}
    if "examples" in out:
        found["examples"] = out["examples"]
    if "labeling" in out:
        found["labeling"] = out["labeling"]
    return found


def on_group_complete(job: Job, stage: str, storage_uri: Any) -> Transition:
    if (stage == "probe" or stage.startswith("extract@")) and frames_ready(job):
        return Transition(messages=[label_message(job)], expect={"label": 1})
    if stage == "train":
        return Transition(finish=result(job))
    return Transition()
