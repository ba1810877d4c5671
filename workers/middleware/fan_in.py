"""Fan-out and fan-in: send a handler's children, count its completion, trigger the next group.

Order matters for crash safety: children are recorded and sent *before* this message is counted,
so a crash in between re-runs the handler (idempotent) and re-sends the same children (same ids,
deduplicated by their own counters). The message id that completes its group triggers the
flow's next step; if that crashes, the redelivered message triggers again, and the next group's
deterministic ids make the repeat harmless.
"""

from __future__ import annotations

from shared.jobs import Job
from workers import flows
from workers.delivery import Delivery
from workers.middleware import Middleware
from workers.registry import Result


class FanIn(Middleware):
    def after_process(self, worker, d: Delivery) -> None:  # type: ignore[override]
        if d.error is not None or d.skipped or d.message is None:
            return
        result = d.result or Result()
        job_id, stage = d.message.job_id, d.stage
        store = worker.store
        for child_stage, n in result.expect.items():
            store.set_expected(job_id, child_stage, n)
        store.set_facts(job_id, result.facts)
        store.add_warnings(job_id, result.warnings)
        if result.messages:
            worker.dispatcher.send(result.messages)
        d.children = len(result.messages)

        completion = store.record_done(job_id, stage, d.message.message_id, result.metrics)
        if completion.completes_group(d.message.message_id):
            job = store.get_job(job_id)
            if job is not None and not job.finished:
                self._advance(worker, job, stage)
            store.mark_triggered(job_id, stage)

    @staticmethod
    def _advance(worker, job: Job, stage: str) -> None:  # type: ignore[no-untyped-def]
        transition = flows.for_kind(job.kind)(job, stage, worker.ctx.storage.uri)
        for child_stage, n in transition.expect.items():
            worker.store.set_expected(job.job_id, child_stage, n)
        if transition.messages:
            worker.dispatcher.send(transition.messages)
        if transition.finish is not None:
            worker.store.succeed_job(job.job_id, transition.finish)
