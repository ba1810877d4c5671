"""probe: keyframes and stream facts from packets only; bad inputs named clearly."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from shared.media.errors import MediaError
from shared.media.probe import probe_video


@pytest.mark.parametrize("name,gop,frames", [("h264", 48, 240), ("vp9", 30, 144), ("mjpeg", 1, 72), ("vfr", 24, 144)])
def test_keyframes_are_display_order_numbers(videos, name, gop, frames):
    # Given a generated video with a keyframe every `gop` frames
    info = probe_video(videos[name])
    # Then every keyframe is listed with its display-order frame number, and all frames are counted
    assert [k.index for k in info.keyframes] == list(range(0, frames, gop))
    assert info.frame_count == frames
    assert not info.truncated


def test_ffprobe_shaped_output(videos):
    doc = probe_video(videos["h264"]).to_ffprobe()
    stream = doc["streams"][0]
    assert {k: stream[k] for k in ("codec_name", "codec_type", "width", "height", "r_frame_rate", "nb_frames")} == {
        "codec_name": "h264", "codec_type": "video", "width": 320, "height": 180, "r_frame_rate": "24/1",
        "nb_frames": "240"}
    assert float(stream["duration"]) == pytest.approx(10.0)
    assert doc["frames"][1] == {"best_effort_timestamp_time": "2.000000", "pict_type": "I", "coded_picture_number": 48}
    json.dumps(doc)  # serialisable as-is


def test_webm_without_stream_duration_uses_container_and_packets(videos):
    info = probe_video(videos["vp9"])
    assert info.duration_s == pytest.approx(6.0, abs=0.05)
    assert info.frame_count == 144


def test_rotation_is_reported_and_display_size_swapped(videos):
    info = probe_video(videos["rotated"])
    assert info.rotation == 90
    assert (info.width, info.height) == (320, 180)
    assert (info.display_width, info.display_height) == (180, 320)


def test_audio_beside_video_is_fine(videos):
    info = probe_video(videos["with_audio"])
    assert info.frame_count == 96 and not info.truncated


@pytest.mark.skipif(shutil.which("ffprobe") is None, reason="ffprobe not installed (only needed for this cross-check)")
@pytest.mark.parametrize("name", ["h264", "vp9", "mjpeg", "vfr", "rotated"])
def test_same_keyframe_times_as_the_seeds_ffprobe_command(videos, name):
    # The seed's command, which decodes every frame; keyframes are the I frames it lists.
    cmd = ["ffprobe", "-v", "quiet", "-select_streams", "v:0", "-show_entries",
           "stream=codec_name,codec_type,width,height,duration,bit_rate,nb_frames,r_frame_rate:"
           "frame=pict_type,coded_picture_number,best_effort_timestamp_time", "-of", "json", str(videos[name])]
    theirs = json.loads(subprocess.run(cmd, capture_output=True, check=True).stdout)
    their_keys = [f["best_effort_timestamp_time"] for f in theirs["frames"] if f["pict_type"] == "I"]
    ours = probe_video(videos[name]).to_ffprobe()
    assert [f["best_effort_timestamp_time"] for f in ours["frames"]] == their_keys
    assert ours["streams"][0]["codec_name"] == theirs["streams"][0]["codec_name"]


@pytest.mark.parametrize("case,message", [
    ("empty", "empty file: empty.mp4 is 0 bytes"),
    ("text", "not a media file: notes.mp4"),
    ("image", "not a video: photo.mp4 is a still image (PNG)"),
    ("audio", "no video stream in podcast.mp4 (it has 1 audio stream only)"),
    ("codec", "unsupported video codec in strange.avi"),
    ("truncated_no_index", "truncated or damaged MP4: cut.mp4 has no index"),
])
def test_bad_inputs_fail_with_a_named_problem(bad_inputs, case, message):
    with pytest.raises(MediaError) as info:
        probe_video(bad_inputs[case])
    assert message in str(info.value)


def test_truncated_file_that_decodes_partway_is_kept_and_flagged(bad_inputs):
    info = probe_video(bad_inputs["truncated_partial"])
    assert info.truncated
    assert 0 < info.end_s < info.duration_s == pytest.approx(10.0)
    assert info.truncation_warning == f"truncated: decoding stopped at {info.end_s:.1f} s of 10.0 s"


def test_path_name_in_messages_is_the_users(tmp_path: Path):
    p = tmp_path / "x.bin"
    p.write_text("x")
    with pytest.raises(MediaError, match="not a media file: my clip.mp4"):
        probe_video(p, name="my clip.mp4")
