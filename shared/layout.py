"""Where things live in the bucket: pure functions of a video id and a sampling.

Outputs are keyed by the video's content hash, not by job, so the same file analysed twice
reuses its probe, frames and sprites, and a re-run of any stage overwrites the same keys.

No key is built from raw user text: every part is a content hash, a generated id (job, frame,
segment), a sampling or model slug (model names pass `shared.names.check_name`), or a file name
made safe by `shared.uploads.safe_name`. `_part` refuses anything else that would change the
key's folder, whoever calls.
"""

from __future__ import annotations

from shared.media import sprites
from shared.messages import Detecting, Sampling


def _part(value: str) -> str:
    """One folder or file name of a key: never empty, '.', '..' or containing a separator."""
    if not value or value in (".", "..") or "/" in value or "\\" in value:
        raise ValueError(f"{value!r} cannot be part of a key")
    return value


def video_prefix(video_id: str) -> str:
    return f"media/{_part(video_id)}"


def source_key(video_id: str, filename: str) -> str:
    return f"{video_prefix(video_id)}/source/{_part(filename)}"


def dataset_file_key(content_id: str, filename: str) -> str:
    """Manifests and images uploaded for training, by content (the same file twice is one object)."""
    return f"datasets/{_part(content_id)}/{_part(filename)}"


def probe_key(video_id: str) -> str:
    return f"{video_prefix(video_id)}/probe.json"


def sampling_prefix(video_id: str, sampling: Sampling) -> str:
    return f"{video_prefix(video_id)}/{sampling.slug}"


def frames_prefix(video_id: str, sampling: Sampling) -> str:
    return f"{sampling_prefix(video_id, sampling)}/frames/"


def frame_key(video_id: str, sampling: Sampling, name: str) -> str:
    return f"{frames_prefix(video_id, sampling)}{_part(name)}.jpg"


def seam_frame_key(video_id: str, sampling: Sampling, segment: int, name: str) -> str:
    """A sample of the next segment that segment `segment` also took (its index's "ahead"): kept
    apart from the sampled frames, which each segment writes once."""
    return f"{sampling_prefix(video_id, sampling)}/seams/{segment:04d}/{_part(name)}.jpg"


def segment_index_key(video_id: str, sampling: Sampling, segment: int) -> str:
    """Written last by extract: its presence means the segment's frames are all there."""
    return f"{sampling_prefix(video_id, sampling)}/segments/{segment:04d}.json"


def tiles_key(video_id: str, sampling: Sampling, segment: int) -> str:
    return f"{sampling_prefix(video_id, sampling)}/tiles/{segment:04d}.jpg"


def sprites_prefix(video_id: str, sampling: Sampling) -> str:
    return f"{sampling_prefix(video_id, sampling)}/sprites/"


def sprite_key(video_id: str, sampling: Sampling, sheet: int) -> str:
    return f"{sprites_prefix(video_id, sampling)}{sprites.sprite_filename(sheet)}"


def thumbnails_vtt_key(video_id: str, sampling: Sampling) -> str:
    return f"{sprites_prefix(video_id, sampling)}{sprites.VTT_FILENAME}"


def detections_prefix(video_id: str, sampling: Sampling, detect: Detecting) -> str:
    return f"{sampling_prefix(video_id, sampling)}/detections/{detect.slug}/"


def detections_key(video_id: str, sampling: Sampling, detect: Detecting, segment: int) -> str:
    """One file per segment in the DetectCustomLabels shape; reused by any job with the same model."""
    return f"{detections_prefix(video_id, sampling, detect)}{segment:04d}.json"


def report_prefix(job_id: str) -> str:
    return f"reports/{_part(job_id)}/"


def report_key(job_id: str) -> str:
    return f"{report_prefix(job_id)}report.json"


def report_csv_key(job_id: str, table: str) -> str:
    return f"{report_prefix(job_id)}{_part(table)}.csv"
