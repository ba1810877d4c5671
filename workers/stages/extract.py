"""Extract: one decode pass over one segment; sampled JPEGs and sprite tiles go to S3.

The seed's "extract keyframes" step (ffmpeg select=eq(n,..)) and, for analysis, uniform sampling.
Frames land at deterministic keys, then the segment index is written last: a segment whose index
exists is complete, so a redelivered message returns at once. For an analysis it also takes the
next segment's first few samples ("ahead", `seam_frames`), kept apart: detect follows marks
across the seam with them.
"""

from __future__ import annotations

from shared import layout
from shared.media.extraction import extract_segment
from shared.media.frames import SegmentReader
from shared.media.images import encode_jpeg
from shared.messages import DetectMessage, ExtractMessage
from workers.context import StageContext
from workers.registry import Result, stage


@stage("extract", visibility_timeout=120, time_limit=1800)
def extract(msg: ExtractMessage, ctx: StageContext) -> Result:
    vid, sampling, seg = msg.video.video_id, msg.sampling, msg.segment
    index_key = layout.segment_index_key(vid, sampling, seg.index)
    # With a model, this segment's detection starts now, not after the whole video is extracted.
    children = [DetectMessage.for_segment(msg.job_id, msg.video, sampling, seg.index, msg.detect)] if msg.detect else []
    if ctx.storage.exists(index_key):
        done = ctx.storage.get_json(index_key)
        return Result(messages=children, metrics={"frames": len(done["frames"])}, warnings=done.get("warnings", []))

    def save(name: str, jpeg: bytes, meta: dict[str, str]) -> None:
        ctx.storage.put_bytes(layout.frame_key(vid, sampling, name), jpeg, "image/jpeg", meta)

    def save_ahead(name: str, jpeg: bytes, meta: dict[str, str]) -> None:
        ctx.storage.put_bytes(layout.seam_frame_key(vid, sampling, seg.index, name), jpeg, "image/jpeg", meta)

    # Detection follows marks across the seam with the next segment's first samples (none for labeling).
    ahead = ctx.config.seam_frames if msg.detect else 0
    path = ctx.media.local_path(msg.video.key)
    reader = SegmentReader(path, seg, sampling, msg.time_base, msg.origin_pts, msg.end_s, tiles=True,
                           threads=ctx.config.decode_threads, ahead=ahead)
    out = extract_segment(reader, save, ctx.config.jpeg_quality, workers=4, save_ahead=save_ahead if ahead else None)
    strip = out.tile_strip()
    if strip is not None:
        ctx.storage.put_bytes(layout.tiles_key(vid, sampling, seg.index), encode_jpeg(strip, 90), "image/jpeg")
    warnings = [f"segment {seg.index}: {out.warning}"] if out.warning else []
    for frame in out.frames:
        frame["key"] = layout.frame_key(vid, sampling, frame["name"])
    for frame in out.ahead:
        frame["key"] = layout.seam_frame_key(vid, sampling, seg.index, frame["name"])
    ctx.storage.put_json(index_key, {
        "segment": seg.index, "sampling": sampling.slug, "frames": out.frames, "ahead": out.ahead,
        "frame_size": out.frame_size,
        "tiles": [n for n, _ in out.tiles], "tile_size": [out.tiles[0][1].shape[1], out.tiles[0][1].shape[0]]
        if out.tiles else None, "frames_decoded": out.frames_decoded, "warnings": warnings})
    return Result(messages=children, metrics={"frames": len(out.frames)}, warnings=warnings)
