"""Pick frames from one segment in a single decode pass: samples (N per second, or every keyframe)
and sprite tiles (one every 2 s), without ever seeking per sample.

Sampling rule: the sample for time t is the frame on screen at t, i.e. the last frame whose
timestamp is <= t (the first frame of the video for any t before it). Sample k of a rate-r
sampling is at t = k / r exactly (rational arithmetic), for every t in [0, end of video). Because
segments start at keyframes and partition time, each sample time is picked by exactly one segment.
In keyframe mode the frames "on screen" are the keyframes alone, and each keyframe is a sample.

Only the frames that are picked, and those other frames need, are decoded: a frame no other frame
refers to (most B-frames) is skipped unless a pick falls in its time on screen. Packets carry
their timestamps before they are decoded, so a short look-ahead tells each frame's end (the next
timestamp). On x264's defaults half the frames are such: at 2 fps the media bench's 5-minute
video decodes 4,352 of its 7,200 frames (bench/media.py), and the hour's extract work at 1 fps
fell from 297 to 214 worker-seconds (bench/analysis.py).
"""

from __future__ import annotations

import bisect
import math
from collections import deque
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Iterator, Literal

import av
import cv2
import numpy as np

from shared.media.types import Sampling, Segment

#: A sprite tile every this many seconds.
TILE_EVERY_S = 2
#: Packets looked ahead (and back) to find a frame's end: H.264 and HEVC reorder at most 16 frames.
REORDER = 16
#: Damaged packets skipped in a segment (FFmpeg's own tools skip them too) before it stops early.
MAX_DAMAGED = 25


@dataclass
class Pick:
    kind: Literal["sample", "tile", "ahead"]  # ahead: a sample of the next segment (SegmentReader's `ahead`)
    number: int  # sample number k (fps), keyframe's frame number (keyframes), tile number j
    t: Fraction  # the time this pick stands for, seconds from the first frame
    frame: av.VideoFrame
    frame_index: int  # display-order number of the frame used
    frame_t: Fraction  # that frame's own time

    keyframe: bool = False  # a keyframe-mode sample, named after its frame number

    @property
    def name(self) -> str:
        """File stem: the seed's `<frame-no>.jpg` for keyframes, the zero-padded sample number for fps."""
        return str(self.number) if self.keyframe else f"{self.number:06d}"


def display_size(frame: av.VideoFrame) -> tuple[int, int]:
    """(width, height) once the display rotation is applied."""
    rotation = int(round(frame.rotation or 0)) % 360
    return (frame.height, frame.width) if rotation in (90, 270) else (frame.width, frame.height)


def to_bgr(frame: av.VideoFrame, width: int | None = None, height: int | None = None) -> np.ndarray:
    """Decoded picture as a BGR array, turned upright by the stream's display rotation.

    `width`/`height`, when given, are the upright output size (scaled by swscale before turning).
    """
    rotation = int(round(frame.rotation or 0)) % 360
    if width and height and rotation in (90, 270):
        width, height = height, width
    if width and height:
        image = frame.reformat(width=width, height=height, format="bgr24").to_ndarray()
    else:
        image = frame.to_ndarray(format="bgr24")
    if rotation:
        image = np.ascontiguousarray(np.rot90(image, k=rotation // 90))
    return image


def to_planes(frame: av.VideoFrame) -> tuple[np.ndarray, int]:
    """The picture as packed I420 planes plus its rotation: a cheap copy, safe to hand to another
    thread, where `planes_to_bgr` does the colour conversion off the decoding thread."""
    if frame.width % 2 or frame.height % 2:
        return to_bgr(frame), -1  # odd sizes cannot be I420: convert here
    return frame.to_ndarray(format="yuv420p"), int(round(frame.rotation or 0)) % 360


def planes_to_bgr(planes: np.ndarray, rotation: int) -> np.ndarray:
    if rotation < 0:
        return planes
    image = cv2.cvtColor(planes, cv2.COLOR_YUV2BGR_I420)
    if rotation:
        image = np.ascontiguousarray(np.rot90(image, k=rotation // 90))
    return image


class SegmentReader:
    """Decodes one segment once and yields its picks; `stopped_early` says why it ended short.

    `ahead` (rate sampling only): the next segment's first samples too, as "ahead" picks, so
    that what works on one segment's frames in order (following a mark, shared/models/local/
    follow.py) sees across the seam. They are the same frames the next segment picks."""

    def __init__(self, path: Path | str, segment: Segment, sampling: Sampling, time_base: str | Fraction,
                 origin_pts: int, end_s: float, tiles: bool = True, threads: int = 0, ahead: int = 0) -> None:
        self.path = Path(path)
        self.segment = segment
        self.sampling = sampling
        self.tb = Fraction(time_base)
        self.origin = origin_pts
        self.tiles = tiles
        self.threads = threads
        self.start_t = (segment.start_pts - origin_pts) * self.tb
        video_end = Fraction(end_s)
        self.end_t = min((segment.end_pts - origin_pts) * self.tb, video_end) if segment.end_pts is not None else video_end
        self.until_t = self.end_t  # samples (ahead ones too) are picked before this
        if ahead > 0 and sampling.mode != "keyframes" and self.end_t < video_end:
            step = 1 / Fraction(sampling.rate)
            self.until_t = min(video_end, (math.ceil(self.end_t / step) + ahead) * step)
        self.stopped_early: str | None = None
        self.frames_decoded = 0
        self.damaged = 0  # packets the decoder could not read, skipped

    # -- schedules -------------------------------------------------------------------------
    def _first(self, step: Fraction) -> int:
        return math.ceil(self.start_t / step)

    def picks(self) -> Iterator[Pick]:
        keyframe_mode = self.sampling.mode == "keyframes"
        sample_step = None if keyframe_mode else 1 / self.sampling.rate
        k = self._first(sample_step) if sample_step else 0
        j = self._first(Fraction(TILE_EVERY_S)) if self.tiles else None
        prev: tuple[av.VideoFrame, int, Fraction] | None = None

        def due(limit: Fraction, frame: tuple[av.VideoFrame, int, Fraction]) -> Iterator[Pick]:
            nonlocal k, j
            while True:
                t_s = k * sample_step if sample_step is not None else None
                t_t = j * TILE_EVERY_S if j is not None else None
                candidates = [t for t, end in ((t_s, self.until_t), (t_t, self.end_t))
                              if t is not None and t < limit and t < end]
                if not candidates:
                    return
                t = min(candidates)
                if t == t_s:
                    yield Pick("sample" if t < self.end_t else "ahead", k, t, frame[0], frame[1], frame[2])
                    k += 1
                if t == t_t and t < self.end_t:
                    yield Pick("tile", j, t, frame[0], frame[1], frame[2])
                    j += 1

        for frame, index, ft in self._frames(keyframe_mode):
            if ft < self.start_t:
                continue  # leading frames of an open GOP belong to the previous segment
            yield from due(min(ft, self.until_t), prev or (frame, index, ft))
            if ft >= self.until_t:
                break
            prev = (frame, index, ft)
            if keyframe_mode:
                yield Pick("sample", index, ft, frame, index, ft, keyframe=True)
        if prev is not None:
            limit = self.until_t
            if self.stopped_early:  # hold the last good frame one frame-time, not to the end
                limit = min(limit, prev[2] + Fraction(1, 25))
            yield from due(limit, prev)

    # -- decoding --------------------------------------------------------------------------
    def _frames(self, keyframes_only: bool) -> Iterator[tuple[av.VideoFrame, int, Fraction]]:
        keyframe_index = {k.pts: k.index for k in self.segment.keyframes}
        with av.open(str(self.path), metadata_errors="ignore") as container:
            stream = container.streams.video[0]
            ctx = stream.codec_context
            ctx.thread_type = "AUTO"
            ctx.thread_count = self.threads
            if self.segment.start_pts != self.origin:
                container.seek(self.segment.start_pts, stream=stream, backward=True, any_frame=False)
            self._shown: list[int] = []  # the segment's frames' timestamps, sorted: a frame's index counts them
            packets = (p for p in container.demux(stream) if p.size)  # size 0: the end marker; we flush once below
            try:
                for packet, picked in (((p, True) for p in packets) if keyframes_only else self._judged(packets)):
                    if keyframes_only and packet.pts is not None:
                        if not packet.is_keyframe and packet.pts not in keyframe_index:
                            continue
                        if self.segment.end_pts is not None and packet.pts >= self.segment.end_pts:
                            break
                    if not keyframes_only:
                        ctx.skip_frame = "DEFAULT" if picked else "NONREF"
                    for out in self._decoded(self._decode(ctx, packet), keyframe_index if keyframes_only else None):
                        yield out
                        if out[2] >= self.until_t and not keyframes_only:
                            return
                ctx.skip_frame = "DEFAULT"
                yield from self._decoded(self._decode(ctx, None), keyframe_index if keyframes_only else None)
            except (av.error.InvalidDataError, av.error.OSError) as exc:
                self.stopped_early = f"decoding stopped: {exc.strerror or exc}"
            except av.error.EOFError:
                pass

    def _decode(self, ctx: av.CodecContext, packet: av.Packet | None) -> list[av.VideoFrame]:
        """A damaged packet (a cut file's last one, say) is skipped: the frames before and after it
        still come out, whether or not the decoder's threads hid the error."""
        try:
            return ctx.decode(packet)
        except av.error.InvalidDataError:
            self.damaged += 1
            if self.damaged > MAX_DAMAGED:
                raise
            return []

    def _judged(self, packets: Iterator[av.Packet]) -> Iterator[tuple[av.Packet, bool]]:
        """Each packet, and whether its frame is on screen at a pick's time: from its timestamp to
        the next one, found among the packets `REORDER` either side of it in decoding order."""
        ahead: deque[av.Packet] = deque()
        back: deque[int] = deque(maxlen=REORDER)
        start = self.segment.start_pts

        def judged(p: av.Packet) -> tuple[av.Packet, bool]:
            if p.pts is None:
                return p, True
            later = [q.pts for q in ahead if q.pts is not None and q.pts > p.pts] + [b for b in back if b > p.pts]
            back.append(p.pts)
            return p, self._picked_between(p.pts, min(later) if later else None)

        for packet in packets:
            ahead.append(packet)
            if packet.pts is not None and packet.pts >= start:
                bisect.insort(self._shown, packet.pts)
            if len(ahead) > REORDER:
                yield judged(ahead.popleft())
        while ahead:
            yield judged(ahead.popleft())

    def _picked_between(self, pts: int, next_pts: int | None) -> bool:
        """Whether a sample or tile time falls in [pts, next_pts) within the segment (a sample
        of the next one too, up to `until_t`)."""
        begin = max((pts - self.origin) * self.tb, self.start_t)
        shown = (next_pts - self.origin) * self.tb if next_pts is not None else None
        steps = [(Fraction(TILE_EVERY_S), self.end_t)] if self.tiles else []
        if self.sampling.mode != "keyframes":
            steps.append((1 / Fraction(self.sampling.rate), self.until_t))
        return any(begin < (end := min(shown, until) if shown is not None else until)
                   and math.ceil(begin / step) * step < end for step, until in steps)

    def _decoded(self, frames: list[av.VideoFrame],
                 keyframe_index: dict[int, int] | None) -> Iterator[tuple[av.VideoFrame, int, Fraction]]:
        for frame in frames:
            out = self._timed(frame, keyframe_index)
            if out is not None:
                yield out

    def _timed(self, frame: av.VideoFrame, keyframe_index: dict[int, int] | None) -> tuple[av.VideoFrame, int, Fraction] | None:
        if frame.pts is None:
            return None
        self.frames_decoded += 1
        ft = (frame.pts - self.origin) * self.tb
        if keyframe_index is not None:
            index = keyframe_index.get(frame.pts)
            if index is None:
                return None
            return frame, index, ft
        return frame, self.segment.first_frame + bisect.bisect_left(self._shown, frame.pts), ft
