"""Probe: stream info + keyframe list (the seed's ffprobe step), then one extract per segment."""

from __future__ import annotations

from shared import layout
from shared.media.probe import probe_video
from shared.media.segments import plan_segments
from shared.messages import ExtractMessage, ProbeMessage
from workers.context import StageContext
from workers.registry import Result, stage


@stage("probe", visibility_timeout=120)
def probe(msg: ProbeMessage, ctx: StageContext) -> Result:
    path = ctx.media.local_path(msg.video.key)
    info = probe_video(path, name=msg.video.name)
    ctx.storage.put_json(layout.probe_key(msg.video.video_id), info.to_ffprobe())

    segments = plan_segments(info, msg.segment_seconds)
    tb = f"{info.time_base.numerator}/{info.time_base.denominator}"
    children = [ExtractMessage.for_segment(msg.job_id, msg.video, msg.sampling, seg, tb, info.origin_pts, info.end_s)
                for seg in segments]
    bounds = [[s.index, round(float((s.start_pts - info.origin_pts) * info.time_base), 6),
               round(float((s.end_pts - info.origin_pts) * info.time_base), 6) if s.end_pts is not None else info.end_s]
              for s in segments]
    warning = info.truncation_warning
    return Result(messages=children, expect={"extract": len(children)},
                  facts={**info.facts(), "segments": bounds, "truncated": info.truncated},
                  warnings=[warning] if warning else [])
