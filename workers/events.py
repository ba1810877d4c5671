"""Labeling job state changes, from EventBridge through the events queue: the job that waits on the
labeling job goes on (Completed: collect) or fails with the labeling job's reason.

The body is EventBridge's envelope, not one of our messages: `labeling_event` decodes it and looks
up which job waits on that labeling job (the label stage recorded it, as the seed stored its
task token). An event for a labeling job nobody waits on, or for a job that ended or was deleted
meanwhile, reaches the handler with no job and is acknowledged and logged by the runtime; a
duplicate re-sends the same collect message, which the counters take once. Nothing polls.
"""

from __future__ import annotations

import json
import re

from shared.errors import JobError, MessageDecodeError
from shared.labeling.store import COMPLETED, ENDED
from shared.labeling.task import LabelingTask
from shared.messages import CollectMessage, LabelingEvent
from shared.names import LABELING_DETAIL_TYPE
from workers.context import StageContext
from workers.registry import Result, stage

LABELING_JOB_NAME = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")  # Ground Truth's own pattern


def labeling_event(body: str, ctx: StageContext) -> LabelingEvent:
    try:
        event = json.loads(body)
        detail_type, source = event["detail-type"], str(event.get("source", ""))
        status = str(event["detail"]["LabelingJobStatus"])
        name = str(event["resources"][0]).rsplit("/", 1)[-1]
    except (TypeError, ValueError, KeyError, IndexError, RecursionError) as exc:
        raise MessageDecodeError(f"not a labeling job state-change event ({type(exc).__name__}: {exc})") from None
    if detail_type != LABELING_DETAIL_TYPE:
        raise MessageDecodeError(f"not a labeling job state-change event: detail-type {detail_type!r}")
    if not LABELING_JOB_NAME.fullmatch(name):  # also keeps DynamoDB from refusing the key ("", > 1 KB)
        raise MessageDecodeError(f"not a labeling job state-change event: labeling job name {name[:80]!r}")
    record = ctx.labels.get(name)
    return LabelingEvent(job_id=record.job_id if record else "", message_id=f"labeling:{name}:{status}",
                         labeling_job=name, status=status, source=source)


@stage("events", visibility_timeout=60, decode=labeling_event)
def events(msg: LabelingEvent, ctx: StageContext) -> Result:
    record = ctx.labels.get(msg.labeling_job)
    if record is None:  # the runtime skips jobs it cannot find; a record deleted since decoding is as gone
        return Result()
    if msg.status == COMPLETED:
        ctx.labels.end(record.name, COMPLETED)  # Ground Truth's; ours ended it before sending
        task = LabelingTask.model_validate(ctx.storage.get_json(record.task_key))
        collect = CollectMessage.for_labeling(msg.job_id, task.model, task.model_version, task.name, task.kind)
        return Result(messages=[collect], expect={"collect": 1}, waiting=False)
    if msg.status in ENDED:
        reason = ctx.labeler(record.labeler).failure_reason(record.name, msg.status)
        ctx.labels.end(record.name, msg.status, reason)
        raise JobError(f"labeling job {record.name} {msg.status.lower()}: {reason}")
    return Result()
