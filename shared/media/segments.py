"""Split a video into segments at keyframes, so each segment decodes on its own.

Segments partition time: segment i covers [start_i, start_{i+1}) where every start is a keyframe,
so any sample time belongs to exactly one segment and the frame on screen at that time was
decoded by that segment (its first frame is a keyframe at or before the time).
"""

from __future__ import annotations

from shared.media.probe import VideoInfo
from shared.media.types import Keyframe, Segment


def plan_segments(info: VideoInfo, segment_seconds: float) -> list[Segment]:
    """Group consecutive GOPs into segments of at least `segment_seconds` (the last may be shorter)."""
    if segment_seconds <= 0:
        raise ValueError("segment_seconds must be positive")
    usable = [k for k in info.keyframes if k.time_s < info.end_s] or info.keyframes[:1]
    groups: list[list[Keyframe]] = []
    for k in usable:
        kf = Keyframe(pts=k.pts, index=k.index)
        if groups and (k.pts - groups[-1][0].pts) * info.time_base < segment_seconds:
            groups[-1].append(kf)
        else:
            groups.append([kf])
    segments = []
    for i, group in enumerate(groups):
        end_pts = groups[i + 1][0].pts if i + 1 < len(groups) else None
        segments.append(Segment(index=i, start_pts=group[0].pts, end_pts=end_pts, keyframes=group))
    return segments
