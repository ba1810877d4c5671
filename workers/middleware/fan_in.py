"""Fan-out and fan-in: send a handler's children, count its completion, trigger the next group.

Order matters for crash safety: children are recorded and sent *before* this message is counted,
so a crash in between re-runs the handler (idempotent) and re-sends the same children (same ids,
deduplicated by their own counters). The message id that completes its group asks the job's
flow what comes next; if that crashes, the redelivered message triggers again, and the next
group's deterministic ids make the repeat harmless. A flow that ends the job hands its result to
JobStatus (`d.finish`), which records the end and then marks the group triggered.

Before a message: one that was already counted is skipped, unless it is the one whose group still
waits for its trigger. A duplicate would otherwise redo its work and re-send all its children,
whose duplicates would re-send theirs: at-least-once delivery compounding down the pipeline.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from workers import flows
from workers.delivery import Delivery, Skip
from workers.middleware import Middleware
from workers.registry import Result

if TYPE_CHECKING:
    from workers.worker import Worker


class FanIn(Middleware):
    def before_process(self, worker: Worker, d: Delivery) -> None:
        if d.message is not None and worker.counters.already_done(d.message.job_id, d.counter, d.message.message_id):
            raise Skip("already done")

    def after_process(self, worker: Worker, d: Delivery) -> None:
        if d.error is not None or d.skipped or d.message is None:
            return
        result = d.result or Result()
        job_id, stage = d.message.job_id, d.counter
        for child_stage, n in result.expect.items():
            worker.counters.set_expected(job_id, child_stage, n)
        if result.video is not None:
            worker.jobs.set_video(job_id, result.video)
        worker.jobs.add_outputs(job_id, result.outputs)
        worker.jobs.add_warnings(job_id, result.warnings)
        if result.messages:
            worker.dispatcher.send(result.messages)
        d.children = len(result.messages)

        completion = worker.counters.record_done(job_id, stage, d.message.message_id, result.metrics)
        if not completion.completes_group(d.message.message_id):
            return
        job = worker.jobs.get_job(job_id)
        if job is None or job.finished:
            worker.counters.mark_triggered(job_id, stage)
            return
        transition = flows.for_kind(job.kind)(job, stage, worker.ctx.storage.uri)
        for child_stage, n in transition.expect.items():
            worker.counters.set_expected(job_id, child_stage, n)
        if transition.messages:
            worker.dispatcher.send(transition.messages)
        if transition.finish is not None:
            d.finish = transition.finish  # JobStatus ends the job, then marks the group triggered
        else:
            worker.counters.mark_triggered(job_id, stage)
