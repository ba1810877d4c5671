"""Stream info and the keyframe list, by demuxing packets only (no frame is decoded but the first).

The seed runs `ffprobe -show_entries frame=...`, which decodes every frame; reading packet
headers gives the same keyframe list ~200x faster. Container duration and packet timestamps are
the truth: stream frame counts and rates are often missing (WebM) or wrong (variable frame rate).
The first frame is decoded once, to learn the display rotation (FFmpeg puts it on decoded frames
only) and to prove the codec is decodable before any work fans out.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, BinaryIO

import av
import numpy as np

from shared.media.errors import MediaError, too_many_pixels

#: Container formats FFmpeg uses for still images: "video" files that are really pictures.
_IMAGE_FORMATS = {"image2", "png_pipe", "jpeg_pipe", "webp_pipe", "bmp_pipe", "tiff_pipe", "gif_pipe",
                  "jpegls_pipe", "pam_pipe", "ppm_pipe", "pgm_pipe", "svg_pipe", "qoi_pipe", "avif"}


@dataclass(frozen=True)
class KeyframeInfo:
    pts: int
    index: int  # display-order frame number
    time_s: float  # seconds from the first frame


@dataclass
class VideoInfo:
    name: str
    format_name: str
    codec_name: str
    width: int  # coded size, as ffprobe reports it
    height: int
    rotation: int  # degrees counter-clockwise to turn decoded pictures for display (0/90/180/270)
    time_base: Fraction
    origin_pts: int  # pts of the first frame in display order
    duration_s: float  # what the container (or the stream's index) promises
    end_s: float  # where decodable data ends: duration_s, or less when the file is truncated
    frame_count: int  # video packets actually present
    frame_rate: Fraction
    bit_rate: int | None
    keyframes: list[KeyframeInfo] = field(default_factory=list)
    truncated: bool = False

    @property
    def display_width(self) -> int:
        return self.height if self.rotation in (90, 270) else self.width

    @property
    def display_height(self) -> int:
        return self.width if self.rotation in (90, 270) else self.height

    @property
    def truncation_warning(self) -> str | None:
        if not self.truncated:
            return None
        return f"truncated: decoding stopped at {self.end_s:.1f} s of {self.duration_s:.1f} s"

    def to_ffprobe(self) -> dict[str, Any]:
        """The seed's ffprobe JSON fields, plus a `brandvis` section with what ffprobe lacks.

        `coded_picture_number` is the display-order frame number (ffprobe's is 0 for VP9/MJPEG),
        `duration` the container's when the stream has none, `nb_frames` the packets counted.
        """
        tb = self.time_base
        return {
            "streams": [{
                "codec_name": self.codec_name,
                "codec_type": "video",
                "width": self.width,
                "height": self.height,
                "r_frame_rate": f"{self.frame_rate.numerator}/{self.frame_rate.denominator}",
                "duration": f"{self.duration_s:.6f}",
                "bit_rate": str(self.bit_rate) if self.bit_rate else "N/A",
                "nb_frames": str(self.frame_count),
            }],
            "frames": [{
                "best_effort_timestamp_time": f"{float(k.pts * tb):.6f}",
                "pict_type": "I",
                "coded_picture_number": k.index,
            } for k in self.keyframes],
            "brandvis": {
                "name": self.name,
                "format_name": self.format_name,
                "rotation": self.rotation,
                "display_width": self.display_width,
                "display_height": self.display_height,
                "time_base": f"{tb.numerator}/{tb.denominator}",
                "origin_pts": self.origin_pts,
                "end_s": self.end_s,
                "truncated": self.truncated,
            },
        }

    def facts(self) -> dict[str, Any]:
        """The few numbers the job record shows and later stages plan with."""
        return {"duration_s": round(self.duration_s, 3), "end_s": round(self.end_s, 3),
                "width": self.display_width, "height": self.display_height, "rotation": self.rotation,
                "fps": round(float(self.frame_rate), 3), "codec": self.codec_name,
                "frame_count": self.frame_count, "keyframe_count": len(self.keyframes)}


def _open(path: Path, name: str) -> av.container.InputContainer:
    size = path.stat().st_size
    if size == 0:
        raise MediaError(f"empty file: {name} is 0 bytes")
    try:
        return av.open(str(path), metadata_errors="ignore")
    except av.error.InvalidDataError as exc:
        with path.open("rb") as f:
            head = f.read(12)
        if head[4:8] == b"ftyp":
            raise MediaError(f"truncated or damaged MP4: {name} has no index (moov box); "
                           "the upload was probably cut short") from exc
        raise MediaError(f"not a media file: {name} ({exc.strerror or 'unrecognised data'})") from exc
    except av.error.EOFError as exc:
        raise MediaError(f"no frames in {name}: the file ends after its header (0 s of video)") from exc
    except av.error.FFmpegError as exc:
        raise MediaError(f"cannot open {name}: {exc.strerror or exc}") from exc


def probe_video(path: Path | str, name: str | None = None, max_pixels: int = 0) -> VideoInfo:
    """`max_pixels` (0: none) refuses a video whose stream header claims a larger picture before any
    frame is decoded: one 16k x 16k frame is 400 MB, and every later stage would decode thousands."""
    path = Path(path)
    name = name or path.name
    with _open(path, name) as container:
        fmt = container.format.name
        if fmt in _IMAGE_FORMATS or fmt.endswith("_pipe"):
            kind = fmt.removesuffix("_pipe").upper()
            raise MediaError(f"not a video: {name} is a still image ({kind})")
        if not container.streams.video:
            audio = len(container.streams.audio)
            extra = f" (it has {audio} audio stream{'s' if audio != 1 else ''} only)" if audio else ""
            raise MediaError(f"no video stream in {name}{extra}")
        stream = container.streams.video[0]
        codec = stream.codec_context.name if stream.codec_context else None
        if not codec or codec == "none":
            tag = getattr(stream.codec_context, "codec_tag", "") if stream.codec_context else ""
            raise MediaError(f"unsupported video codec in {name}{f' ({tag!r})' if tag else ''}")
        size = (stream.codec_context.width, stream.codec_context.height)
        if max_pixels and size[0] * size[1] > max_pixels:
            raise MediaError(too_many_pixels("video", name, size, max_pixels, "BRANDVIS_MAX_VIDEO_PIXELS"))

        # Packed int64s, not a tuple per packet: ten hours at 25 fps is 900,000 packets (7 MB, not 100).
        packet_pts, key_pts = array("q"), array("q")
        last_pts, last_dur = None, 0  # the packet that ends the stream (the first with the highest pts)
        demux_error: str | None = None
        try:
            for packet in container.demux(stream):
                pts = packet.pts if packet.pts is not None else packet.dts
                if pts is None or packet.size == 0:
                    continue
                packet_pts.append(pts)
                if packet.is_keyframe:
                    key_pts.append(pts)
                if last_pts is None or pts > last_pts:
                    last_pts, last_dur = pts, packet.duration or 0
        except (av.error.InvalidDataError, av.error.EOFError, av.error.OSError) as exc:
            demux_error = str(exc)
        if not packet_pts:
            raise MediaError(f"no frames in the video stream of {name}")

        tb = stream.time_base or Fraction(1, 1000)
        all_pts = np.sort(np.frombuffer(packet_pts, np.int64))
        origin = int(all_pts[0])
        rate = _rate(stream)
        last_dur = last_dur or int(round(1 / (rate * tb)))
        data_end_s = float((int(all_pts[-1]) + last_dur - origin) * tb)
        declared = stream.frames or 0
        if stream.duration:
            promised_s = float(stream.duration * tb)
        elif container.duration and len(container.streams) == 1:
            promised_s = container.duration / 1_000_000
        else:  # the container's duration may be the audio's: only the packets tell
            promised_s = data_end_s
        short_by_count = declared > 0 and len(packet_pts) < declared
        short_by_time = declared == 0 and data_end_s < promised_s - max(1.0, 2 * float(1 / rate))
        truncated = demux_error is not None or short_by_count or short_by_time
        keys = np.sort(np.frombuffer(key_pts, np.int64))
        keyframes = [KeyframeInfo(pts=int(pts), index=int(index), time_s=float((int(pts) - origin) * tb))
                     for pts, index in zip(keys, np.searchsorted(all_pts, keys, side="left"))]
        if not keyframes or keyframes[0].pts != origin:
            # Streams whose first frame is not flagged (some AVI/MJPEG muxers): it decodes alone.
            keyframes.insert(0, KeyframeInfo(pts=origin, index=0, time_s=0.0))
        bit_rate = stream.bit_rate or container.bit_rate or None
        width, height = size
        format_name = fmt

    rotation = _first_frame_rotation(path, name, codec)
    return VideoInfo(name=name, format_name=format_name, codec_name=codec, width=width, height=height,
                     rotation=rotation, time_base=tb, origin_pts=origin,
                     duration_s=max(promised_s, data_end_s), end_s=data_end_s, frame_count=len(packet_pts),
                     frame_rate=rate, bit_rate=bit_rate, keyframes=keyframes, truncated=truncated)


def _rate(stream: Any) -> Fraction:
    return Fraction(stream.guessed_rate or stream.average_rate or stream.base_rate or 25)


def frame_rate(source: Path | BinaryIO) -> Fraction | None:
    """The frame rate `probe_video` reports, from the headers alone (nothing demuxed), so a request
    can refuse a sampling rate above it before uploading. None when the headers do not tell (the
    probe stage then reports what is wrong with the file)."""
    start = source.tell() if not isinstance(source, Path) else 0
    try:
        with av.open(str(source) if isinstance(source, Path) else source, metadata_errors="ignore") as container:
            if not container.streams.video or container.format.name in _IMAGE_FORMATS:
                return None
            return _rate(container.streams.video[0])
    except (av.error.FFmpegError, OSError, ValueError):
        return None
    finally:
        if not isinstance(source, Path):
            source.seek(start)


def _first_frame_rotation(path: Path, name: str, codec: str) -> int:
    with av.open(str(path), metadata_errors="ignore") as container:
        stream = container.streams.video[0]
        try:
            for frame in container.decode(stream):
                return int(round(frame.rotation or 0)) % 360
        except av.error.FFmpegError as exc:
            raise MediaError(f"cannot decode the {codec} video in {name}: {exc.strerror or exc}") from exc
    raise MediaError(f"cannot decode the {codec} video in {name}: no frame could be decoded")
