"""Probe: stream info + keyframe list (the seed's ffprobe step), then one extract per segment."""

from __future__ import annotations

from shared import layout
from shared.errors import JobError
from shared.media.errors import MediaError
from shared.media.probe import probe_video
from shared.media.segments import plan_segments
from shared.messages import ExtractMessage, ProbeMessage, SegmentSpan, VideoFacts
from workers.context import StageContext
from workers.registry import Result, stage


@stage("probe", visibility_timeout=120, time_limit=900)
def probe(msg: ProbeMessage, ctx: StageContext) -> Result:
    path = ctx.media.local_path(msg.video.key)
    try:
        info = probe_video(path, name=msg.video.name, max_pixels=ctx.config.max_video_pixels)
    except MediaError as exc:
        raise JobError(str(exc)) from exc
    ctx.storage.put_json(layout.probe_key(msg.video.video_id), info.to_ffprobe())

    if msg.sampling.mode == "fps" and msg.sampling.rate > info.frame_rate:
        raise JobError(f"sampling at {float(msg.sampling.rate):g} frames/s asks for more frames than "
                       f"{msg.video.name} has ({float(info.frame_rate):g} frames/s); use --fps "
                       f"{float(info.frame_rate):g} or less")
    segments = plan_segments(info, msg.segment_seconds)
    tb = f"{info.time_base.numerator}/{info.time_base.denominator}"
    children = [ExtractMessage.for_segment(msg.job_id, msg.video, msg.sampling, seg, tb, info.origin_pts, info.end_s,
                                           msg.detect, per_video=msg.per_video) for seg in segments]
    spans = [SegmentSpan(index=s.index, start_s=round(float((s.start_pts - info.origin_pts) * info.time_base), 6),
                         end_s=round(float((s.end_pts - info.origin_pts) * info.time_base), 6)
                         if s.end_pts is not None else info.end_s) for s in segments]
    warning = info.truncation_warning
    expect = {f"extract@{msg.video.video_id}" if msg.per_video else "extract": len(children),
              **({"detect": len(children)} if msg.detect else {})}
    return Result(messages=children, expect=expect,
                  video=VideoFacts(**info.facts(), truncated=info.truncated, segments=spans),
                  warnings=[warning] if warning else [])
