"""Job status around each message: skip work for jobs that already ended; QUEUED -> RUNNING."""

from __future__ import annotations

from shared.jobs import TERMINAL
from workers.delivery import Delivery, Skip
from workers.middleware import Middleware


class JobStatus(Middleware):
    def before_process(self, worker, d: Delivery) -> None:  # type: ignore[override]
        if d.message is None:
            return
        status = worker.store.job_status(d.message.job_id)
        if status is None:
            raise Skip("job not found")
        if status in TERMINAL:
            raise Skip(f"job already {status}")
        worker.store.mark_running(d.message.job_id)
        worker.store.mark_stage_started(d.message.job_id, d.stage)
