"""Analysis: probe -> extract (one per segment) -> sprite (one per minute) -> done.

The seed's analysis state machine up to its sprite branch. Model stages (start-model, detect,
aggregate) join here when the model backends land.
"""

from __future__ import annotations

from typing import Any

from shared import layout
from shared.jobs import Job
from shared.media import sprites
from shared.messages import Sampling, SpriteMessage, VideoRef
from workers.flows import Transition


def _video(job: Job) -> tuple[VideoRef, Sampling]:
    return VideoRef(**job.request["video"]), Sampling(**job.request["sampling"])


def sprite_messages(job: Job) -> list[SpriteMessage]:
    video, sampling = _video(job)
    facts = job.facts
    sheets: dict[int, list[int]] = {}
    for seg, start, end in facts["segments"]:
        first = int(start // sprites.SHEET_SECONDS)
        last = int(max(start, end - 1e-6) // sprites.SHEET_SECONDS)
        for sheet in range(first, last + 1):
            sheets.setdefault(sheet, []).append(int(seg))
    count = sprites.sheet_count(facts["end_s"])
    return [SpriteMessage.for_sheet(job.job_id, video, sampling, s, sheets.get(s, [])) for s in range(count)]


def result(job: Job, storage_uri: Any) -> dict[str, Any]:
    video, sampling = _video(job)
    vid = video.video_id
    extract = job.stages.get("extract")
    sprite = job.stages.get("sprite")
    return {
        "video": {"name": video.name, "uri": storage_uri(video.key), **{k: v for k, v in job.facts.items() if k != "segments"}},
        "sampling": sampling.slug,
        "probe": storage_uri(layout.probe_key(vid)),
        "frames_prefix": storage_uri(layout.frames_prefix(vid, sampling)),
        "frames": extract.metrics.get("frames", 0) if extract else 0,
        "segments": extract.expected if extract else 0,
        "sprites": [storage_uri(layout.sprite_key(vid, sampling, s)) for s in range(sprite.expected or 0)] if sprite else [],
        "thumbnails_vtt": storage_uri(layout.thumbnails_vtt_key(vid, sampling)),
    }


def on_group_complete(job: Job, stage: str, storage_uri: Any) -> Transition:
    if stage == "extract":
        messages = sprite_messages(job)
        return Transition(messages=messages, expect={"sprite": len(messages)})
    if stage == "sprite":
        return Transition(finish=result(job, storage_uri))
    return Transition()
