"""Test and bench videos, generated with PyAV (never committed).

Every frame carries its own display-order number as a 16-bit barcode across the top, so a test
can read back from any extracted JPEG exactly which frame it is.
"""

from __future__ import annotations

import fractions
import functools
import shutil
from pathlib import Path

import av
import cv2
import numpy as np

BITS = 16


@functools.lru_cache(maxsize=8)
def _gradients(width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    gx = (np.arange(width) * 255 // max(width - 1, 1)).astype(np.uint8)
    gy = (np.arange(height) * 255 // max(height - 1, 1)).astype(np.uint8)
    return np.broadcast_to(gx, (height, width)), np.broadcast_to(gy[:, None], (height, width))


def frame_image(n: int, width: int, height: int) -> np.ndarray:
    """RGB frame: moving content (so codecs do real work) and frame number n as a barcode."""
    gx, gy = _gradients(width, height)
    img = np.empty((height, width, 3), np.uint8)
    img[..., 0] = gx + np.uint8(n * 3 % 256)  # wraps modulo 256
    img[..., 1] = gy
    img[..., 2] = (n * 7) % 256
    s = max(8, width // 10)
    cx = (n * 5) % max(width - s, 1)
    img[height // 2:height // 2 + s, cx:cx + s] = (255, 255, 0)
    bar_h = max(8, height // 12)
    bw = width // BITS
    for b in range(BITS):
        on = (n >> (BITS - 1 - b)) & 1
        img[:bar_h, b * bw:(b + 1) * bw] = 255 if on else 0
    return img


def read_number(bgr: np.ndarray) -> int:
    """The frame number from a decoded (upright, unrotated-content) frame's barcode."""
    height, width = bgr.shape[:2]
    bar_h = max(8, height // 12)
    bw = width // BITS
    gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    n = 0
    for b in range(BITS):
        value = gray[bar_h // 4: 3 * bar_h // 4, b * bw + bw // 4:(b + 1) * bw - bw // 4].mean()
        n = (n << 1) | int(value > 127)
    return n


def make_video(path: Path, seconds: float = 10.0, fps: int = 24, size: tuple[int, int] = (320, 180),
               gop: int = 48, codec: str = "libx264", bframes: bool = True, rotate: int | None = None,
               container_options: dict[str, str] | None = None, vfr: bool = False, audio: bool = False,
               preset: str = "ultrafast") -> Path:
    """A video whose frame n has display time n/fps (or irregular times when `vfr`)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    width, height = size
    out = av.open(str(path), "w", options=container_options or {})
    stream = out.add_stream(codec, rate=fps)
    stream.width, stream.height = width, height
    stream.pix_fmt = "yuvj420p" if codec == "mjpeg" else "yuv420p"
    stream.gop_size = gop
    time_base = fractions.Fraction(1, fps * 10 if vfr else fps)
    stream.time_base = time_base
    stream.codec_context.time_base = time_base
    if codec == "libx264":
        # PyAV defaults to x264's sliced threads (several slices per frame); cameras and most
        # encoders write one slice per frame, which only frame threading can decode in parallel.
        stream.codec_context.thread_type = "FRAME"
        stream.options = {"preset": preset if not bframes or preset != "ultrafast" else "superfast",
                          "x264-params": f"keyint={gop}:min-keyint={gop}:scenecut=0" + ("" if bframes else ":bframes=0")}
    elif codec == "libvpx-vp9":
        stream.options = {"deadline": "realtime", "cpu-used": "8", "g": str(gop)}
    if rotate is not None:
        stream.set_display_rotation(rotate)
    audio_stream = out.add_stream("aac", rate=44100) if audio else None
    count = int(round(seconds * fps))
    pts = 0
    for n in range(count):
        frame = av.VideoFrame.from_ndarray(frame_image(n, width, height), format="rgb24")
        frame.pts = pts
        frame.time_base = time_base
        pts += (10 if n % 3 else 25) if vfr else 1
        for packet in stream.encode(frame):
            out.mux(packet)
    for packet in stream.encode():
        out.mux(packet)
    if audio_stream is not None:
        _silence(out, audio_stream, seconds)
    out.close()
    return path


def _silence(out: av.container.OutputContainer, stream: av.AudioStream, seconds: float) -> None:
    for i in range(0, int(seconds * 44100), 1024):
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
        frame.sample_rate = 44100
        frame.pts = i
        for packet in stream.encode(frame):
            out.mux(packet)
    for packet in stream.encode():
        out.mux(packet)


def vfr_times(count: int, fps: int) -> list[fractions.Fraction]:
    """Display times of `make_video(vfr=True)` frames."""
    times, pts = [], 0
    for n in range(count):
        times.append(fractions.Fraction(pts, fps * 10))
        pts += 10 if n % 3 else 25
    return times


# -- bad inputs ------------------------------------------------------------------------------
def make_audio_only(path: Path, seconds: float = 1.0) -> Path:
    out = av.open(str(path), "w")
    _silence(out, out.add_stream("aac", rate=44100), seconds)
    out.close()
    return path


def make_unknown_codec(path: Path) -> Path:
    """An AVI whose video fourcc no decoder knows."""
    tmp = path.with_suffix(".src.avi")
    make_video(tmp, seconds=1, codec="mpeg4", size=(64, 48))
    data = bytearray(tmp.read_bytes())
    for tag in (b"FMP4", b"fmp4"):
        i = data.find(tag)
        while i >= 0:
            data[i:i + 4] = b"ZZZZ"
            i = data.find(tag)
    path.write_bytes(bytes(data))
    tmp.unlink()
    return path


def make_truncated(path: Path, keep: float, faststart: bool, seconds: float = 10.0) -> Path:
    """Cut an MP4 short. With the index first (faststart) it still opens; without, it cannot."""
    full = path.with_suffix(".full.mp4")
    make_video(full, seconds=seconds, container_options={"movflags": "faststart"} if faststart else None)
    data = full.read_bytes()
    path.write_bytes(data[:int(len(data) * keep)])
    full.unlink()
    return path


def make_image_as_mp4(path: Path) -> Path:
    ok, buf = cv2.imencode(".png", np.zeros((32, 32, 3), np.uint8))
    assert ok
    path.write_bytes(buf.tobytes())
    return path


def copy(src: Path, dst: Path) -> Path:
    shutil.copyfile(src, dst)
    return dst


# -- hostile and extreme inputs --------------------------------------------------------------
def make_claimed_size(path: Path, side: int = 16368) -> Path:
    """An MPEG-2 program stream whose sequence headers claim side x side pictures (the format's most is
    16383) while its frames are 64x64: a few KB that a decoder would size as a 268-megapixel frame."""
    out = av.open(str(path), "w", format="mpeg")
    stream = out.add_stream("mpeg2video", rate=25)
    stream.width = stream.height = 64
    stream.pix_fmt = "yuv420p"
    for n in range(5):
        frame = av.VideoFrame.from_ndarray(frame_image(n, 64, 64), format="rgb24")
        for packet in stream.encode(frame):
            out.mux(packet)
    for packet in stream.encode():
        out.mux(packet)
    out.close()
    data = bytearray(path.read_bytes())
    low, high = side & 0xFFF, (side >> 12) & 0x3
    for start in _find_all(data, b"\x00\x00\x01\xb3"):  # sequence header: 12-bit width, 12-bit height
        data[start + 4:start + 7] = bytes([low >> 4, ((low & 0xF) << 4) | (low >> 8), low & 0xFF])
    for start in _find_all(data, b"\x00\x00\x01\xb5"):  # sequence extension: 2 more bits each
        if data[start + 4] >> 4 == 1:
            bits = int.from_bytes(data[start + 4:start + 7], "big") & ~(0b1111 << 5)
            data[start + 4:start + 7] = (bits | high << 7 | high << 5).to_bytes(3, "big")
    path.write_bytes(bytes(data))
    return path


def _find_all(data: bytearray, needle: bytes) -> list[int]:
    found, i = [], data.find(needle)
    while i >= 0:
        found.append(i)
        i = data.find(needle, i + 1)
    return found


def make_long(path: Path, seconds: float, fps: fractions.Fraction, gop: int, size: int = 16) -> Path:
    """A long video made cheaply: two frames are encoded (a keyframe and a frame that repeats it), then
    their packets are muxed over and over at 1/fps apart, so ten hours take seconds to write."""
    out = av.open(str(path), "w", format="matroska")
    stream = out.add_stream("libx264", rate=25)
    stream.width = stream.height = size
    stream.pix_fmt = "yuv420p"
    stream.options = {"preset": "ultrafast", "x264-params": "keyint=1000:scenecut=0:bframes=0"}
    encoded = []
    for n in range(2):
        frame = av.VideoFrame.from_ndarray(np.zeros((size, size, 3), np.uint8), format="rgb24")
        frame.pts = n
        encoded += [bytes(p) for p in stream.encode(frame)]
    encoded += [bytes(p) for p in stream.encode(None)]
    key, repeat = encoded[0], encoded[1]
    stream.time_base = fractions.Fraction(1, 1000)  # Matroska's milliseconds
    step = fractions.Fraction(1000) / fps  # ticks between frames
    for n in range(int(seconds * fps)):
        packet = av.Packet(key if n % gop == 0 else repeat)
        packet.stream = stream
        packet.time_base = stream.time_base
        packet.pts = packet.dts = int(n * step)
        packet.is_keyframe = n % gop == 0
        out.mux(packet)
    out.close()
    return path
