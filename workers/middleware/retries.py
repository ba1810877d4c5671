"""What a failure means, decided in one place.

- `JobError`: the user's input is bad. The job fails now with that message; no retries.
- `RetryLater`: not ready. The message is re-sent with DelaySeconds and this copy deleted, so
  waiting never counts towards the dead-letter limit.
- anything else (a bug, an outage, an undecodable message): the error is recorded on the job's
  stage and the message becomes visible again after an exponential backoff. On the last allowed
  receive the job fails with the reason, and SQS moves the message to the stage's DLQ on its
  next receive (the queue's redrive policy has the same limit).
"""

from __future__ import annotations

import logging

from shared.errors import JobError, MessageDecodeError, RetryLater
from shared.messages import job_id_of
from workers.delivery import Delivery
from workers.middleware import Middleware

log = logging.getLogger("brandvis.worker")


class Retries(Middleware):
    def __init__(self, max_backoff_s: int = 300) -> None:
        self.max_backoff_s = max_backoff_s

    def after_process(self, worker, d: Delivery) -> None:  # type: ignore[override]
        if d.skipped:
            d.ack, d.outcome = True, "skipped"
            return
        if d.error is None:
            d.ack, d.outcome = True, "done"
            return
        exc = d.error
        job_id = d.job_id or job_id_of(d.body)
        if isinstance(exc, JobError):
            if job_id:
                worker.store.fail_job(job_id, str(exc))
                worker.store.record_error(job_id, d.stage, str(exc))
            d.ack, d.outcome = True, "failed"
            return
        if isinstance(exc, RetryLater):
            worker.dispatcher.send_bodies([(d.stage, d.body)], delay_s=exc.seconds)
            d.ack, d.outcome = True, "later"
            return

        reason = f"{type(exc).__name__}: {exc}" if not isinstance(exc, MessageDecodeError) else str(exc)
        if job_id:
            worker.store.record_error(job_id, d.stage, reason)
        sqs = worker.clients.sqs
        if d.receive_count >= d.spec.max_attempts:
            if job_id:
                worker.store.fail_job(job_id, f"{d.stage} failed after {d.receive_count} attempts: {reason}")
            # Visible now: the next receive exceeds maxReceiveCount and SQS moves it to the DLQ.
            backoff = 0
            d.outcome = "dead"
        else:
            backoff = int(min(self.max_backoff_s, worker.config.retry_backoff_s * 2 ** (d.receive_count - 1)))
            d.outcome = "retry"
        try:
            sqs.change_message_visibility(QueueUrl=d.queue_url, ReceiptHandle=d.receipt, VisibilityTimeout=backoff)
        except Exception as err:  # the message will reappear after its current timeout anyway
            log.debug("could not set backoff for %s: %s", d.item, err)
        d.ack = False
