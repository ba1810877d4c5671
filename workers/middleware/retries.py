"""What a failure means, decided in one place (JobStatus applies the job's part of it).

- `JobError`: the user's input is bad. The job fails now with that message; no retries.
- `RetryLater`: not ready. The message is re-sent with DelaySeconds and this copy deleted, so
  waiting never counts towards the dead-letter limit; the copy carries when the waiting began,
  and past the handler's `max_wait_s` the job fails with the reason it was waiting for.
- anything else (a bug, an outage, an undecodable message, an attempt past its time limit): the
  error is recorded on the job's stage and the message becomes visible again after an
  exponential backoff. On the stage's last allowed attempt (`@stage(max_attempts=…)`) the job
  fails with the reason, and SQS moves the message to the stage's DLQ on its next receive.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from shared.errors import JobError, MessageDecodeError, RetryLater
from shared.messages import Message, job_id_of
from shared.names import MAX_RECEIVES
from workers.delivery import Delivery
from workers.middleware import Middleware

if TYPE_CHECKING:
    from workers.worker import Worker

log = logging.getLogger("brandvis.worker")


class Retries(Middleware):
    def __init__(self, max_backoff_s: int = 300) -> None:
        self.max_backoff_s = max_backoff_s

    def after_process(self, worker: Worker, d: Delivery) -> None:
        if d.skipped:
            d.ack, d.outcome = True, "skipped"
            return
        if d.error is None:
            d.ack, d.outcome = True, "done"
            return
        exc = d.error
        job_id = d.job_id or job_id_of(d.body)
        if isinstance(exc, RetryLater):
            since = d.message.waiting_since if isinstance(d.message, Message) else None
            now = time.time()
            if since is not None and now - since >= exc.max_wait_s:
                exc = JobError(f"{exc.reason or 'not ready'}: still waiting after {now - since:.0f} s "
                               f"(limit {exc.max_wait_s} s)")
            else:
                body = (d.message.model_copy(update={"waiting_since": now}).encode()
                        if isinstance(d.message, Message) and since is None else d.body)
                worker.dispatcher.send_bodies([(d.stage, body)], delay_s=exc.seconds)
                d.ack, d.outcome = True, "later"
                return
        if isinstance(exc, JobError):
            if job_id:
                worker.counters.record_error(job_id, d.counter, str(exc))
            d.failure = str(exc)
            d.ack, d.outcome = True, "failed"
            return

        reason = f"{type(exc).__name__}: {exc}" if not isinstance(exc, MessageDecodeError) else str(exc)
        if job_id:
            worker.counters.record_error(job_id, d.counter, reason)
        if d.receive_count >= d.spec.max_attempts:
            d.failure = f"{d.stage} failed after {d.receive_count} attempts: {reason}"
            d.outcome = "dead"
            if d.receive_count < MAX_RECEIVES:  # the queue's own limit is further off: dead-letter it here
                worker.clients.sqs.send_message(QueueUrl=worker.urls.dlq(d.stage), MessageBody=d.body)
                d.ack = True
                return
            backoff = 0  # visible now: the next receive exceeds maxReceiveCount and SQS dead-letters it
        else:
            backoff = int(min(self.max_backoff_s, worker.config.retry_backoff_s * 2 ** (d.receive_count - 1)))
            d.outcome = "retry"
        try:
            worker.clients.sqs.change_message_visibility(QueueUrl=d.queue_url, ReceiptHandle=d.receipt,
                                                         VisibilityTimeout=backoff)
        except Exception as err:  # the message will reappear after its current timeout anyway
            log.debug("could not set backoff for %s: %s", d.message_id, err)
        d.ack = False
