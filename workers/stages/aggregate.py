"""Aggregate: every segment's detections -> the `brandvis.report/v1` visibility report.

The seed stops at charts computed in the browser from raw detections; here the report is one
validated JSON document (rules in shared/report/build.py) plus CSV tables derived from it, at
keys fixed by the job, so a re-run rewrites the same files. The job's threshold is applied here,
not in detect (which keeps detections down to a floor), by the same code that re-reports a
finished job at another threshold (shared/job_report.py). The model version's held-out
evaluation goes into the report, so its figures travel with the warnings they call for.
"""

from __future__ import annotations

from shared import job_report, layout
from shared.messages import AggregateMessage
from shared.models.lifecycle import trained_version
from shared.report.tables import TABLES, csv_bytes
from workers.context import StageContext
from workers.registry import Result, stage


@stage("aggregate", visibility_timeout=300, time_limit=1800)
def aggregate(msg: AggregateMessage, ctx: StageContext) -> Result:
    spec = msg.detect
    mv = trained_version(ctx.models, spec.model.name, spec.model.model_version)
    report = job_report.build(ctx.storage, mv, job_id=msg.job_id, video=msg.video, sampling=msg.sampling, spec=spec,
                              facts=msg.facts, gap_s=msg.gap_s, min_confidence=spec.min_confidence)
    ctx.storage.put_json(layout.report_key(msg.job_id), report)
    for table in TABLES:
        ctx.storage.put_bytes(layout.report_csv_key(msg.job_id, table), csv_bytes(report, table), "text/csv")
    seen = [b["label"] for b in report["brands"] if b["screen_time_s"] > 0]
    return Result(metrics={"brands_seen": len(seen)})
