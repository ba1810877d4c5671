"""An analysis job's visibility report, built from its stored detections at a threshold.

Detect keeps each job's detections down to its floor (`Detecting.kept_from`, at or below the
job's threshold) and the report applies the threshold, so the aggregate stage, `brandvis report
JOB --min-confidence X` and the Results page's slider all build the report here, from the same
files: a report at X is the same whichever of them made it, and re-thresholding a finished job
costs a read of its detections (about a second), not a new detection.
"""

from __future__ import annotations

from typing import Any

from shared import layout
from shared.detections import Detections
from shared.jobs import Job
from shared.messages import Detecting, Sampling, VideoFacts, VideoRef
from shared.models.store import ModelStore, ModelVersion
from shared.report.build import FrameDetections, build_report
from shared.report.schema import validate_report
from shared.storage import Storage


class ThresholdError(ValueError):
    """The stored detections cannot answer this threshold (the message says why and what to do)."""


def stored_frames(storage: Storage, video_id: str, sampling: Sampling, spec: Detecting,
                  facts: VideoFacts) -> list[FrameDetections]:
    """Every sampled frame's detections, segment by segment, as detect stored them; a segment's
    first frames gain what the segment before found on them looking across the seam ("ahead")."""
    frames: list[FrameDetections] = []
    seen_before: dict[float, Detections] = {}
    for seg in facts.segments:
        found = storage.get_json(layout.detections_key(video_id, sampling, spec, seg.index))
        for f in found["frames"]:
            det = Detections.from_rekognition(f, facts.width, facts.height)
            before = seen_before.get(round(float(f["t_s"]), 6))
            frames.append((f["t_s"], det if before is None else Detections.joined([det, before]).with_nms(0.5)))
        seen_before = {round(float(f["t_s"]), 6): Detections.from_rekognition(f, facts.width, facts.height)
                       for f in found.get("ahead", [])}
    return frames


def build(storage: Storage, mv: ModelVersion, *, job_id: str, video: VideoRef, sampling: Sampling, spec: Detecting,
          facts: VideoFacts, gap_s: float, min_confidence: float) -> dict[str, Any]:
    """The validated report of one analysis at `min_confidence` (the threshold its figures, ranges
    and warnings use), from the detections stored for `spec`."""
    report = build_report(
        stored_frames(storage, video.video_id, sampling, spec, facts), duration_s=facts.end_s, width=facts.width,
        height=facts.height, fps=facts.fps, sampled_fps=float(sampling.rate) if sampling.mode == "fps" else None,
        model={"name": spec.model.name, "backend": spec.model.backend, "version": spec.model.model_version},
        min_confidence=min_confidence, labels=mv.labels, gap_s=gap_s, evaluation=mv.metrics,
        extras={"job_id": job_id, "video_name": video.name, "model_version": spec.model.model_version,
                "model_type": mv.type, "detection_floor": spec.kept_from})
    validate_report(report)
    return report


def floor(request: dict[str, Any]) -> float:
    """The lowest threshold an analysis (its job's `request`) can be reported at."""
    return Detecting.model_validate(request["detect"]).kept_from


def rethreshold(storage: Storage, models: ModelStore, job: Job, min_confidence: float) -> dict[str, Any]:
    """A finished analysis's report at another threshold, from its stored detections; refused
    below the floor they were kept down to (those detections were never stored)."""
    spec = Detecting.model_validate(job.request["detect"])
    if not 0.0 <= min_confidence <= 1.0:
        raise ThresholdError(f"min confidence {min_confidence:g} is outside 0..1")
    if min_confidence < spec.kept_from:
        raise ThresholdError(f"job {job.job_id} kept detections down to confidence {spec.kept_from:g} only, not "
                             f"{min_confidence:g}: analyse the video again with --min-confidence {min_confidence:g} "
                             "to look that low")
    if job.video is None:
        raise ThresholdError(f"job {job.job_id} has no video facts: it never finished probing")
    mv = models.get_version(spec.model.name, spec.model.model_version)
    if mv is None:
        raise ThresholdError(f"model {spec.model.name} version {spec.model.model_version} no longer exists: "
                             "its labels and evaluation are needed to rebuild the report")
    return build(storage, mv, job_id=job.job_id, video=VideoRef(**job.request["video"]),
                 sampling=Sampling(**job.request["sampling"]), spec=spec, facts=job.video,
                 gap_s=float(job.request["gap_s"]), min_confidence=min_confidence)
