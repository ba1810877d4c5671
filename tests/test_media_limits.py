"""Files that would cost far more to decode than they weigh are refused from their headers, with the limit
named; extreme but honest videos (no frames, cut short, ten hours long) probe right without decoding them."""

from __future__ import annotations

import struct
import zlib
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.errors import JobError
from shared.media.errors import MediaError
from shared.media.images import check_image_pixels, header_size
from shared.media.probe import probe_video
from shared.messages import ProbeMessage, Sampling, VideoRef
from tests import media_factory
from workers.context import StageContext


def png_claiming(width: int, height: int) -> bytes:
    """A valid PNG header for a width x height RGB picture, with one tiny IDAT: ~70 bytes."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


@pytest.mark.parametrize("ext,params", [(".png", []), (".jpg", []), (".jpg", [cv2.IMWRITE_JPEG_PROGRESSIVE, 1]),
                                        (".bmp", []), (".webp", []), (".webp", [cv2.IMWRITE_WEBP_QUALITY, 101])])
def test_header_size_is_the_decoded_size(ext: str, params: list[int]) -> None:
    # Given an image as OpenCV writes it, at an odd size / Then its header says that size
    ok, buf = cv2.imencode(ext, np.full((23, 37, 3), 128, np.uint8), params)
    assert ok
    assert header_size(buf.tobytes()) == (37, 23)


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(st.one_of(st.binary(max_size=64),
                 st.binary(max_size=40).map(lambda b: b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR" + b),
                 st.binary(max_size=40).map(lambda b: b"\xff\xd8" + b),
                 st.binary(max_size=40).map(lambda b: b"RIFF\x00\x00\x00\x00WEBP" + b),
                 st.binary(max_size=40).map(lambda b: b"BM" + b)))
def test_header_size_of_any_bytes_is_a_size_or_none(data: bytes) -> None:
    size = header_size(data)
    assert size is None or (len(size) == 2 and all(isinstance(v, int) and v >= 0 for v in size))


def test_a_png_claiming_30000_by_30000_is_refused_with_the_limit_named() -> None:
    bomb = png_claiming(30000, 30000)
    assert len(bomb) < 200
    with pytest.raises(MediaError) as info:
        check_image_pixels(bomb, "huge.png", 100_000_000)
    assert str(info.value) == ("image too large: huge.png is 30000x30000 (900 megapixels); the limit is 100 "
                               "megapixels (BRANDVIS_MAX_IMAGE_PIXELS)")
    assert check_image_pixels(png_claiming(640, 480), "ok.png", 100_000_000) == (640, 480)


def test_collect_refuses_the_bomb_without_decoding_it(clients, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a manifest's image in the bucket whose header claims 30000x30000
    from workers.stages import collect
    ctx = StageContext.create(clients)
    ctx.storage.put_bytes("uploads/huge.png", png_claiming(30000, 30000))
    monkeypatch.setattr(collect.cv2, "imdecode", lambda *a: pytest.fail("the bomb was handed to the decoder"))
    # When collect reads its size / Then it is refused by name, the decoder never called
    shape = collect._shape(ctx, ctx.storage.uri("uploads/huge.png"), ctx.clients.config.allowed_buckets)
    assert shape == ("image too large: huge.png is 30000x30000 (900 megapixels); the limit is 100 megapixels "
                     "(BRANDVIS_MAX_IMAGE_PIXELS)")


def test_a_video_claiming_16k_is_refused_at_probe_with_the_limit_named(clients, tmp_path: Path) -> None:
    # Given an MPEG-2 file of a few KB whose sequence headers claim 16368x16368
    path = media_factory.make_claimed_size(tmp_path / "huge.mpg")
    assert path.stat().st_size < 50_000
    with pytest.raises(MediaError, match=r"video too large: huge.mpg is 16368x16368 \(268 megapixels\); the limit "
                                         r"is 35 megapixels \(BRANDVIS_MAX_VIDEO_PIXELS\)"):
        probe_video(path, max_pixels=8192 * 4320)
    # When the probe stage gets it / Then the job fails with that reason (the stage passes the setting)
    from workers.stages.probe import probe
    ctx = StageContext.create(clients)
    ctx.storage.put_bytes("media/huge.mpg", path.read_bytes())
    msg = ProbeMessage.for_video("job1", VideoRef(video_id="0123456789abcdef", key="media/huge.mpg", name="huge.mpg"),
                                 Sampling.at_fps(1), 30.0)
    with pytest.raises(JobError, match=r"huge.mpg is 16368x16368 .* \(BRANDVIS_MAX_VIDEO_PIXELS\)"):
        probe(msg, ctx)


@pytest.mark.parametrize("name,message", [("empty.mkv", "no frames in empty.mkv: the file ends after its header"),
                                          ("empty.mp4", "no video stream in empty.mp4")])
def test_a_video_with_no_frames_is_refused_by_name(tmp_path: Path, name: str, message: str) -> None:
    # Given a file with a video stream and no frame in it (0 s long)
    path = tmp_path / name
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=25)
        stream.width, stream.height = 64, 48
        out.start_encoding()  # the header (and, closing, the trailer) with no packet between
    assert path.stat().st_size > 0
    with pytest.raises(MediaError, match=message):
        probe_video(path)


def test_a_one_frame_video_lasts_one_frame(tmp_path: Path) -> None:
    info = probe_video(media_factory.make_video(tmp_path / "one.mp4", seconds=1 / 24, fps=24, size=(64, 48)))
    assert (info.frame_count, len(info.keyframes), info.truncated) == (1, 1, False)
    assert info.end_s == pytest.approx(1 / 24)


def test_a_stream_that_ends_early_is_kept_and_flagged(tmp_path: Path) -> None:
    # Given a Matroska file (its duration in the header) cut at 60 % of its bytes
    full = media_factory.make_video(tmp_path / "full.mkv", seconds=10, fps=24, size=(64, 48), gop=24)
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(full.read_bytes()[:int(full.stat().st_size * 0.6)])
    info = probe_video(cut)
    assert info.truncated and info.duration_s == pytest.approx(10.0, abs=0.1)
    assert 3 < info.end_s < 9.5
    assert info.truncation_warning.startswith("truncated: decoding stopped at")


def test_a_ten_hour_video_is_probed_from_its_packets_decoding_one_frame(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    # Given ten hours of 16x16 video, a frame every 30 minutes (21 frames, each a keyframe)
    path = media_factory.make_long(tmp_path / "long.mkv", seconds=36_000 + 1800, fps=Fraction(1, 1800), gop=1)
    decoded = []
    real_open = av.open

    class Counting:  # av.open's container, counting the frames decoded from it
        def __init__(self, container: av.container.InputContainer) -> None:
            self.container = container

        def __enter__(self) -> "Counting":
            return self

        def __exit__(self, *exc: object) -> None:
            self.container.close()

        def __getattr__(self, name: str) -> object:
            return getattr(self.container, name)

        def decode(self, *args: object, **kwargs: object):  # noqa: ANN201
            for frame in self.container.decode(*args, **kwargs):
                decoded.append(frame.pts)
                yield frame

    monkeypatch.setattr(av, "open", lambda *a, **k: Counting(real_open(*a, **k)))
    # When it is probed
    info = probe_video(path)
    # Then every frame is counted, from packets, and one frame only is decoded (for the rotation)
    assert (info.frame_count, len(info.keyframes)) == (21, 21)
    assert info.keyframes[-1].time_s == 36_000.0
    assert info.end_s >= 36_000.0 and not info.truncated
    assert decoded == [0]
