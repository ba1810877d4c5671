"""extract's decode pass: the sampling rule, segment boundaries, keyframes, rotation, tiles."""

from __future__ import annotations

import bisect
from fractions import Fraction

import av
import numpy as np
import pytest

from shared.media.frames import SegmentReader, to_bgr
from shared.media.probe import probe_video
from shared.media.segments import plan_segments
from shared.messages import Sampling
from tests.media_factory import read_number


def reference_frames(path) -> list[tuple[Fraction, int]]:
    """Every frame, decoded sequentially: (time from the first frame, barcode number)."""
    out = []
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        origin = None
        for f in c.decode(s):
            origin = f.pts if origin is None else origin
            out.append(((f.pts - origin) * s.time_base, read_number(to_bgr(f))))
    return out


def run_all(path, sampling: Sampling, segment_seconds: float, threads: int = 0, ahead: int = 0):
    info = probe_video(path)
    picks = []
    for seg in plan_segments(info, segment_seconds):
        reader = SegmentReader(path, seg, sampling, info.time_base, info.origin_pts, info.end_s, threads=threads,
                               ahead=ahead)
        for p in reader.picks():
            picks.append((seg.index, p.kind, p.number, p.t, p.frame_index, read_number(to_bgr(p.frame))))
        assert reader.stopped_early is None
    return info, picks


@pytest.mark.parametrize("name", ["h264", "vp9", "mjpeg", "vfr"])
@pytest.mark.parametrize("fps", ["2", "7", "1/3"])
def test_each_sample_is_the_frame_on_screen_at_its_time(videos, name, fps):
    ref = reference_frames(videos[name])
    times = [t for t, _ in ref]
    info, picks = run_all(videos[name], Sampling(mode="fps", fps=fps), segment_seconds=1.5)
    samples = [p for p in picks if p[1] == "sample"]
    rate = Fraction(fps)
    expected_count = sum(1 for k in range(10_000) if k / rate < Fraction(info.end_s))
    # One sample per k/rate in [0, end), each exactly once, across every segment boundary.
    assert [p[2] for p in samples] == list(range(expected_count))
    for _, _, k, t, frame_index, barcode in samples:
        assert t == k / rate
        on_screen = bisect.bisect_right(times, t) - 1  # last frame with time <= t
        assert barcode == ref[on_screen][1], f"sample {k} at {float(t)} s"
        assert frame_index == on_screen


@pytest.mark.parametrize("segment_seconds", [0.1, 2.5, 1e9])
def test_segmentation_never_changes_the_result(videos, segment_seconds):
    _, one = run_all(videos["h264"], Sampling.at_fps(5), 1e9)
    _, split = run_all(videos["h264"], Sampling.at_fps(5), segment_seconds)
    assert [p[1:] for p in split] == [p[1:] for p in one]


@pytest.mark.parametrize("name", ["h264", "vp9", "vfr"])
@pytest.mark.parametrize("ahead", [1, 3])
def test_a_segment_looks_ahead_at_the_next_segment_s_first_samples(videos, name, ahead):
    """Picks "ahead" (what detection follows marks across the seam with) are the next segment's
    own first samples: the same numbers, times, frames; the segment's own picks are unchanged."""
    _, plain = run_all(videos[name], Sampling.at_fps(2), segment_seconds=1.5)
    info, picks = run_all(videos[name], Sampling.at_fps(2), segment_seconds=1.5, ahead=ahead)
    assert [p for p in picks if p[1] != "ahead"] == plain
    segments = plan_segments(info, 1.5)
    assert len(segments) >= 3
    for seg in segments:
        looked = [p[2:] for p in picks if p[0] == seg.index and p[1] == "ahead"]
        following = [p[2:] for p in plain if p[0] > seg.index and p[1] == "sample"][:ahead]
        assert looked == following  # the last segment has none: nothing follows it
        assert seg.index == len(segments) - 1 or looked


def test_keyframe_mode_and_tiles_never_look_ahead(videos):
    _, plain = run_all(videos["h264"], Sampling.every_keyframe(), segment_seconds=2)
    _, picks = run_all(videos["h264"], Sampling.every_keyframe(), segment_seconds=2, ahead=2)
    assert picks == plain
    _, picks = run_all(videos["h264"], Sampling.at_fps(1), segment_seconds=3, ahead=2)
    tiles = [p[2] for p in picks if p[1] == "tile"]
    assert tiles == sorted(set(tiles)) == [0, 1, 2, 3, 4]  # each tile once, by its own segment


@pytest.mark.parametrize("name,gop", [("h264", 48), ("vp9", 30), ("mjpeg", 1)])
def test_keyframe_mode_yields_each_keyframe_once_named_by_frame_number(videos, name, gop):
    info, picks = run_all(videos[name], Sampling.every_keyframe(), segment_seconds=2)
    samples = [p for p in picks if p[1] == "sample"]
    assert [p[4] for p in samples] == [k.index for k in info.keyframes]
    assert [p[5] for p in samples] == [k.index for k in info.keyframes]  # the barcode agrees
    assert all(p[4] % gop == 0 for p in samples)


def test_tiles_every_two_seconds_use_the_same_rule(videos):
    ref = reference_frames(videos["h264"])
    times = [t for t, _ in ref]
    _, picks = run_all(videos["h264"], Sampling.at_fps(1), segment_seconds=3)
    tiles = [p for p in picks if p[1] == "tile"]
    assert [p[2] for p in tiles] == [0, 1, 2, 3, 4]
    for _, _, j, t, _, barcode in tiles:
        assert t == 2 * j and barcode == ref[bisect.bisect_right(times, t) - 1][1]


def test_frames_no_pick_shows_and_no_frame_refers_to_are_not_decoded(videos):
    """B-frames between picks are skipped: at 1 fps (tiles too) a 24 fps H.264 video with B-frames
    decodes fewer frames than it holds, and the picks are still the frames on screen (above)."""
    ref = reference_frames(videos["h264"])
    info = probe_video(videos["h264"])
    decoded, picked = 0, []
    for seg in plan_segments(info, 2.5):
        reader = SegmentReader(videos["h264"], seg, Sampling.at_fps(1), info.time_base, info.origin_pts, info.end_s)
        picked += [(p.kind, p.frame_index, read_number(to_bgr(p.frame))) for p in reader.picks()]
        decoded += reader.frames_decoded
    assert decoded < 0.8 * len(ref)
    assert all(barcode == ref[index][1] for _, index, barcode in picked)
    assert len([p for p in picked if p[0] == "sample"]) == 10


def test_rotation_is_applied_to_frames(videos):
    info = probe_video(videos["rotated"])
    seg = plan_segments(info, 1e9)[0]
    pick = next(SegmentReader(videos["rotated"], seg, Sampling.at_fps(1), info.time_base, info.origin_pts,
                              info.end_s).picks())
    image = to_bgr(pick.frame)
    assert image.shape[:2] == (320, 180)  # upright: portrait
    # The barcode row (top of the coded picture) is on the left edge once turned 90 degrees CCW.
    assert read_number(np.ascontiguousarray(np.rot90(image, k=-1))) == 0
    tile = to_bgr(pick.frame, 160, 284)
    assert tile.shape[:2] == (284, 160)


@pytest.mark.parametrize("threads", [0, 1])
def test_truncated_video_samples_stop_where_data_stops(bad_inputs, threads):
    """The cut last packet is skipped, whether or not the decoder's threads hide its error: the
    frames before it still come out (one thread raised on it and lost them before)."""
    info, picks = run_all(bad_inputs["truncated_partial"], Sampling.at_fps(2), segment_seconds=2, threads=threads)
    samples = [p for p in picks if p[1] == "sample"]
    assert samples and float(samples[-1][3]) < info.end_s
    assert len(samples) == sum(1 for k in range(100) if k / 2 < info.end_s)
