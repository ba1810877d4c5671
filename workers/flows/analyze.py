"""Analysis: the seed's analysis state machine as groups of messages.

    probe ─> extract (per segment) ─┬─> sprite (per minute) ───────────────┐
                                    └─> detect (per segment, as each      ├─> done
    start-model (beside probe) ·····>   segment's frames land) ─> aggregate ┘

Without a model the job is probe -> extract -> sprite. Detect messages are sent by extract
(one per segment, no barrier on the whole video); detect waits for start-model by re-checking
the model itself. The job finishes when every branch it has is complete: whichever of
sprite and aggregate completes last sees the other done (each reads the job after counting).
"""

from __future__ import annotations

from typing import Any

from shared import layout
from shared.jobs import Job
from shared.media import sprites
from shared.messages import AggregateMessage, Detecting, Sampling, SpriteMessage, VideoFacts, VideoRef
from shared.report.tables import TABLES
from workers.flows import Transition


def _video(job: Job) -> tuple[VideoRef, Sampling]:
    return VideoRef(**job.request["video"]), Sampling(**job.request["sampling"])


def _detecting(job: Job) -> Detecting | None:
    spec = job.request.get("detect")
    return Detecting.model_validate(spec) if spec else None


def _facts(job: Job) -> VideoFacts:
    if job.video is None:
        raise RuntimeError(f"job {job.job_id} has no video facts: probe has not completed")
    return job.video


def sprite_messages(job: Job) -> list[SpriteMessage]:
    video, sampling = _video(job)
    facts = _facts(job)
    sheets = sprites.plan_sheets([(s.index, s.start_s, s.end_s) for s in facts.segments], facts.end_s)
    return [SpriteMessage.for_sheet(job.job_id, video, sampling, n, segs, facts) for n, segs in enumerate(sheets)]


def aggregate_message(job: Job, detect: Detecting) -> AggregateMessage:
    video, sampling = _video(job)
    return AggregateMessage.for_video(job.job_id, video, sampling, detect, _facts(job), gap_s=float(job.request["gap_s"]))


def result(job: Job, storage_uri: Any) -> dict[str, Any]:
    video, sampling = _video(job)
    vid = video.video_id
    extract = job.stages.get("extract")
    sprite = job.stages.get("sprite")
    out = {
        "video": {"name": video.name, "uri": storage_uri(video.key),
                  **_facts(job).model_dump(exclude={"segments"})},
        "sampling": sampling.slug,
        "probe": storage_uri(layout.probe_key(vid)),
        "frames_prefix": storage_uri(layout.frames_prefix(vid, sampling)),
        "frames": extract.metrics.get("frames", 0) if extract else 0,
        "segments": extract.expected if extract else 0,
        "sprites": [storage_uri(layout.sprite_key(vid, sampling, s)) for s in range(sprite.expected or 0)] if sprite else [],
        "thumbnails_vtt": storage_uri(layout.thumbnails_vtt_key(vid, sampling)),
    }
    detect = _detecting(job)
    if detect is not None:
        out["model"] = detect.model.model_dump()
        out["report"] = storage_uri(layout.report_key(job.job_id))
        out["tables"] = {t: storage_uri(layout.report_csv_key(job.job_id, t)) for t in TABLES}
        out["detections_prefix"] = storage_uri(layout.detections_prefix(vid, sampling, detect))
    return out


def _branches_done(job: Job) -> bool:
    needed = ["sprite"] + (["aggregate", "start-model"] if _detecting(job) else [])
    return all(job.stages.get(s) is not None and job.stages[s].complete for s in needed)


def on_group_complete(job: Job, stage: str, storage_uri: Any) -> Transition:
    if stage == "extract":
        messages = sprite_messages(job)
        return Transition(messages=messages, expect={"sprite": len(messages)})
    if stage == "detect":
        detect = _detecting(job)
        if detect is not None:
            return Transition(messages=[aggregate_message(job, detect)], expect={"aggregate": 1})
    if stage in ("sprite", "aggregate", "start-model") and _branches_done(job):
        return Transition(finish=result(job, storage_uri))
    return Transition()
