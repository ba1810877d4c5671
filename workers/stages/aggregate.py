"""Aggregate: every segment's detections -> the `brandvis.report/v1` visibility report.

The seed stops at charts computed in the browser from raw detections; here the report is one
validated JSON document (rules in shared/report/build.py) plus CSV tables derived from it, at
keys fixed by the job, so a re-run rewrites the same files. The model version's held-out
evaluation goes into the report, so its figures travel with the warnings they call for.
"""

from __future__ import annotations

from shared import layout
from shared.detections import Detections
from shared.messages import AggregateMessage
from shared.models.lifecycle import trained_version
from shared.report.build import build_report
from shared.report.schema import validate_report
from shared.report.tables import TABLES, csv_bytes
from workers.context import StageContext
from workers.registry import Result, stage


@stage("aggregate", visibility_timeout=300, time_limit=1800)
def aggregate(msg: AggregateMessage, ctx: StageContext) -> Result:
    spec, vid, facts = msg.detect, msg.video.video_id, msg.facts
    mv = trained_version(ctx.models, spec.model.name, spec.model.model_version)
    frames = []
    for seg in facts.segments:
        found = ctx.storage.get_json(layout.detections_key(vid, msg.sampling, spec, seg.index))
        frames += [(f["t_s"], Detections.from_rekognition(f, facts.width, facts.height)) for f in found["frames"]]
    report = build_report(
        frames, duration_s=facts.end_s, width=facts.width, height=facts.height, fps=facts.fps,
        sampled_fps=float(msg.sampling.rate) if msg.sampling.mode == "fps" else None,
        model={"name": spec.model.name, "backend": spec.model.backend, "version": spec.model.model_version},
        min_confidence=spec.min_confidence, labels=mv.labels, gap_s=msg.gap_s, evaluation=mv.metrics,
        extras={"job_id": msg.job_id, "video_name": msg.video.name, "model_version": spec.model.model_version,
                "model_type": mv.type})
    validate_report(report)
    ctx.storage.put_json(layout.report_key(msg.job_id), report)
    for table in TABLES:
        ctx.storage.put_bytes(layout.report_csv_key(msg.job_id, table), csv_bytes(report, table), "text/csv")
    seen = [b["label"] for b in report["brands"] if b["screen_time_s"] > 0]
    return Result(metrics={"brands_seen": len(seen)})
