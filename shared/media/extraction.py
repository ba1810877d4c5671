"""One segment's decode pass turned into saved JPEGs and sprite tiles.

The decoder runs on the calling thread (FFmpeg's own threads decode ahead), which only copies
each sample's YUV planes out of the frame: PyAV frames must not be converted from two threads at
once (it deadlocks). Colour conversion, JPEG encoding and saving (to S3 or to a folder) run on a
small pool, so sampling costs little more than decoding. At most `max_pending` frames wait for the pool: memory stays flat with length.
The extract stage, `brandvis frames` and the bench all use this, with different `save`s.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from shared.media.frames import Pick, SegmentReader, display_size, planes_to_bgr, to_bgr, to_planes
from shared.media.images import encode_jpeg
from shared.media.sprites import tile_size

#: save(name, jpeg bytes, metadata) -> None; runs on pool threads.
Save = Callable[[str, bytes, dict[str, str]], None]


@dataclass
class SegmentFrames:
    frames: list[dict] = field(default_factory=list)  # one entry per saved sample, in time order
    ahead: list[dict] = field(default_factory=list)  # the same, for the next segment's first samples (saved by `save_ahead`)
    tiles: list[tuple[int, np.ndarray]] = field(default_factory=list)  # (tile number, BGR tile)
    warning: str | None = None  # why decoding stopped short, or what it skipped
    frames_decoded: int = 0
    frame_size: tuple[int, int] | None = None  # (width, height) of the saved frames, display rotation applied

    def tile_strip(self) -> np.ndarray | None:
        """All tiles side by side: one small image per segment instead of one object per tile."""
        return np.hstack([image for _, image in self.tiles]) if self.tiles else None


def _metadata(pick: Pick) -> dict[str, str]:
    return {"t": f"{float(pick.t):.6f}", "frame-index": str(pick.frame_index), "frame-t": f"{float(pick.frame_t):.6f}"}


def extract_segment(reader: SegmentReader, save: Save, quality: int = 92, workers: int = 2,
                    max_pending: int = 16, save_ahead: Save | None = None) -> SegmentFrames:
    """`save_ahead` saves the reader's "ahead" picks (the next segment's first samples), apart
    from the segment's own."""
    out = SegmentFrames()
    pending: list[Future] = []

    def encode_and_save(planes: tuple[np.ndarray, int], name: str, meta: dict[str, str], to: Save) -> None:
        to(name, encode_jpeg(planes_to_bgr(*planes), quality), meta)

    with ThreadPoolExecutor(workers, thread_name_prefix="encode") as pool:
        try:
            for pick in reader.picks():
                if pick.kind == "tile":
                    out.tiles.append((pick.number, to_bgr(pick.frame, *tile_size(*display_size(pick.frame)))))
                    continue
                if pick.kind == "ahead" and save_ahead is None:
                    continue
                out.frame_size = out.frame_size or display_size(pick.frame)
                (out.ahead if pick.kind == "ahead" else out.frames).append({
                    "name": pick.name, "t": round(float(pick.t), 6), "frame_index": pick.frame_index,
                    "frame_t": round(float(pick.frame_t), 6)})
                pending.append(pool.submit(encode_and_save, to_planes(pick.frame), pick.name, _metadata(pick),
                                           save_ahead if pick.kind == "ahead" else save))
                if len(pending) >= max_pending:
                    pending.pop(0).result()
        except BaseException:
            for fut in pending:
                fut.cancel()
            raise
        for fut in pending:
            fut.result()
    out.warning = reader.stopped_early
    if reader.damaged and not out.warning:
        out.warning = f"{reader.damaged} damaged packet{'s' if reader.damaged > 1 else ''} skipped"
    out.frames_decoded = reader.frames_decoded
    return out
