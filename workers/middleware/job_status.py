"""The one owner of job status moves in the runtime.

Before a message: skip work for a job that ended or is gone; QUEUED -> RUNNING. After it: the
job FAILS with the reason Retries decided (`d.failure`), or SUCCEEDS with the result its flow
produced (`d.finish`). The group that finished the job is marked triggered only after the job's
end is recorded, so a crash in between re-triggers on redelivery instead of leaving it RUNNING.
A handler that hands the job to people (labeling) or gets it back says so in `Result.waiting`:
RUNNING <-> WAITING.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.jobs import TERMINAL
from shared.messages import job_id_of
from workers.delivery import Delivery, Skip
from workers.middleware import Middleware

if TYPE_CHECKING:
    from workers.worker import Worker


class JobStatus(Middleware):
    def before_process(self, worker: Worker, d: Delivery) -> None:
        if d.message is None:
            return
        status = worker.jobs.job_status(d.message.job_id)
        if status is None:
            raise Skip("job not found")
        if status in TERMINAL:
            raise Skip(f"job already {status}")
        worker.jobs.mark_running(d.message.job_id)
        worker.counters.mark_started(d.message.job_id, d.counter)

    def after_process(self, worker: Worker, d: Delivery) -> None:
        job_id = d.job_id or job_id_of(d.body)
        if d.failure is not None and job_id:
            worker.jobs.fail_job(job_id, d.failure)
        elif d.finish is not None and d.error is None and job_id:
            worker.jobs.succeed_job(job_id, d.finish)
            worker.counters.mark_triggered(job_id, d.counter)
        elif d.error is None and d.result is not None and d.result.waiting is not None and job_id:
            worker.jobs.set_waiting(job_id, d.result.waiting)
