"""Extract: one decode pass over one segment; sampled JPEGs and sprite tiles go to S3.

The seed's "extract keyframes" step (ffmpeg select=eq(n,..)) and, for analysis, uniform sampling.
Frames land at deterministic keys, then the segment index is written last: a segment whose index
exists is complete, so a redelivered message returns at once.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

from shared import layout
from shared.media.frames import SegmentReader, display_size, to_bgr
from shared.media.images import encode_jpeg
from shared.media.sprites import tile_size
from shared.messages import ExtractMessage
from workers.context import StageContext
from workers.registry import Result, stage

#: JPEG encoding and uploads overlap the decoder; bounded so memory stays flat.
_UPLOADERS = 4
_MAX_PENDING = 16


@stage("extract", visibility_timeout=120)
def extract(msg: ExtractMessage, ctx: StageContext) -> Result:
    vid, sampling, seg = msg.video.video_id, msg.sampling, msg.segment
    index_key = layout.segment_index_key(vid, sampling, seg.index)
    if ctx.storage.exists(index_key):
        done = ctx.storage.get_json(index_key)
        return Result(metrics={"frames": len(done["frames"])}, warnings=done.get("warnings", []))

    path = ctx.media.local_path(msg.video.key)
    reader = SegmentReader(path, seg, sampling, msg.time_base, msg.origin_pts, msg.end_s, tiles=True)
    frames: list[dict] = []
    tiles: list[tuple[int, np.ndarray]] = []
    pending: list[Future] = []
    quality = ctx.config.jpeg_quality

    def upload(key: str, image: np.ndarray, meta: dict[str, str]) -> None:
        ctx.storage.put_bytes(key, encode_jpeg(image, quality), "image/jpeg", meta)

    with ThreadPoolExecutor(_UPLOADERS, thread_name_prefix="extract-upload") as pool:
        for pick in reader.picks():
            if pick.kind == "tile":
                w, h = tile_size(*display_size(pick.frame))
                tiles.append((pick.number, to_bgr(pick.frame, w, h)))
                continue
            key = layout.frame_key(vid, sampling, pick.name)
            meta = {"t": f"{float(pick.t):.6f}", "frame-index": str(pick.frame_index),
                    "frame-t": f"{float(pick.frame_t):.6f}"}
            frames.append({"name": pick.name, "key": key, "t": round(float(pick.t), 6),
                           "frame_index": pick.frame_index, "frame_t": round(float(pick.frame_t), 6)})
            pending.append(pool.submit(upload, key, to_bgr(pick.frame), meta))
            if len(pending) >= _MAX_PENDING:
                pending.pop(0).result()
        for fut in pending:
            fut.result()

    if tiles:
        strip = np.hstack([image for _, image in tiles])
        ctx.storage.put_bytes(layout.tiles_key(vid, sampling, seg.index), encode_jpeg(strip, 90), "image/jpeg")
    warnings = [f"segment {seg.index}: {reader.stopped_early}"] if reader.stopped_early else []
    ctx.storage.put_json(index_key, {
        "segment": seg.index, "sampling": sampling.slug, "frames": frames,
        "tiles": [n for n, _ in tiles], "tile_size": list(tiles[0][1].shape[1::-1]) if tiles else None,
        "frames_decoded": reader.frames_decoded, "warnings": warnings})
    return Result(metrics={"frames": len(frames)}, warnings=warnings)
