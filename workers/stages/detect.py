"""Detect: run the job's model over one segment's frames, as soon as extract has written them.

Writes one file per segment in Rekognition's DetectCustomLabels shape (one response per frame,
with its time), keyed by video, sampling, model version and the floor detections are kept down
to (`Detecting.kept_from`, below the job's threshold: aggregate applies the threshold, so the job
can be re-reported at another one): a redelivered message, or another job with the same floor
whatever its threshold, finds it and returns at once. A model that is not
ready yet (Rekognition still starting: start-model runs beside extraction) re-sends this message
later; it never fails for that, and it never starts a model itself (the idle stop spares models
an unfinished job needs). The local model gets decoded frames; Rekognition is handed the frames'
S3 keys and reads them itself (no download and re-encode here).

The local model also sees the next segment's first samples ("ahead", taken by extract): a mark
found at the end of this segment is followed into the next one, and one found on the next
one's first frame is followed back, across the seam. Those frames' detections are stored apart
("ahead"); reports add them to the next segment's own (shared/job_report.py).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from shared import layout
from shared.errors import JobError, RetryLater
from shared.media.jpegs import JpegFrames
from shared.messages import DetectMessage
from shared.models.lifecycle import START_RECHECK_S, trained_version
from shared.storage import Storage
from shared.table import now_iso
from workers.context import StageContext
from workers.registry import Result, stage

BATCH = 8
#: Of the next segment's frames a segment sees, the first is detected (a mark found there is
#: followed back across the seam); the rest are only followed into: the next segment detects
#: them, and detecting all 3 cost the hour 10 % more detect work.
SEAM_DETECTED = 1


def stored_frames(storage: Storage, frames: Sequence[dict[str, Any]]) -> JpegFrames:
    """The segment's frames, decoded as the backend reads them (and again if it looks back)."""
    names = {f["key"]: f["name"] for f in frames}

    def unreadable(key: str) -> np.ndarray:
        raise JobError(f"frame {names[key]} is not a readable JPEG")

    return JpegFrames([f["key"] for f in frames], storage.get_bytes, unreadable, ahead=BATCH)


@stage("detect", visibility_timeout=300, time_limit=1800)
def detect(msg: DetectMessage, ctx: StageContext) -> Result:
    vid, sampling, spec = msg.video.video_id, msg.sampling, msg.detect
    key = layout.detections_key(vid, sampling, spec, msg.segment)
    if ctx.storage.exists(key):
        done = ctx.storage.get_json(key)
        return Result(metrics=_metrics(done["frames"]))
    mv = trained_version(ctx.models, spec.model.name, spec.model.model_version)
    assert mv.handle is not None
    backend = ctx.backend(mv.backend)
    if not backend.ready(mv.handle):
        raise RetryLater(START_RECHECK_S, f"model {spec.model.name} version {spec.model.model_version} "
                                          "is not running yet", max_wait_s=ctx.config.model_start_max_wait_s)
    index = ctx.storage.get_json(layout.segment_index_key(vid, sampling, msg.segment))
    frames = index["frames"]
    if backend.reads_bucket:  # Rekognition reads our JPEGs where they are
        found = backend.detect_stored(mv.handle, ctx.storage.bucket, [f["key"] for f in frames],
                                      tuple(index["frame_size"]), spec.kept_from)
        ahead = []
    else:  # the local model follows marks along the frames, past the seam too
        ahead = index.get("ahead", []) if backend.sequential(mv.handle) else []
        found = backend.detect_sequence(mv.handle, stored_frames(ctx.storage, frames + ahead), spec.kept_from,
                                        followed_only=max(0, len(ahead) - SEAM_DETECTED))
    out = [{"t_s": f["t"], "name": f["name"], **det.to_rekognition()} for f, det in zip(frames + ahead, found)]
    ctx.storage.put_json(key, {"segment": msg.segment, "model": spec.model.model_dump(),
                               "floor": spec.kept_from, "frames": out[:len(frames)], "ahead": out[len(frames):]})
    ctx.models.update_version(spec.model.name, spec.model.model_version, last_used=now_iso())
    return Result(metrics=_metrics(out[:len(frames)]))


def _metrics(frames: list[dict[str, Any]]) -> dict[str, int]:
    return {"frames": len(frames), "detections": sum(len(f.get("CustomLabels", [])) for f in frames)}
