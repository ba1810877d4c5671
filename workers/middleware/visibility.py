"""Heartbeat and time limit: keep extending a message's visibility while it waits or runs, until
its attempt has run for its stage's `time_limit`; then abandon the attempt.

Without the heartbeat a long segment would reappear on the queue mid-work and run twice; with
it, a worker killed mid-message stops extending and the message reappears within one visibility
timeout. A hung handler is abandoned at its time limit: the delivery settles as a failed
attempt (`TimeLimitExceeded`), so Retries backs it off or dead-letters it and the job shows why.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

from workers.middleware import Middleware

if TYPE_CHECKING:
    from workers.worker import Worker

log = logging.getLogger("brandvis.worker")


class Heartbeat(Middleware):
    def __init__(self, tick_s: float = 1.0) -> None:
        self.tick_s = tick_s
        self._thread: threading.Thread | None = None

    def on_start(self, worker: Worker) -> None:
        self._thread = threading.Thread(target=self._run, args=(worker,), name="heartbeat", daemon=True)
        self._thread.start()

    def _run(self, worker: Worker) -> None:
        shortest = min(worker.visibility_timeout(spec) for spec in worker.specs.values())
        tick = min(self.tick_s, shortest / 4)  # several chances to extend before a deadline
        while not worker.stopped.wait(tick):
            now = time.monotonic()
            for d in worker.in_flight():
                if d.started_at is not None and now - d.started_at > d.spec.time_limit:
                    log.warning("event=time-limit stage=%s message=%s limit_s=%d", d.stage, d.message_id,
                                d.spec.time_limit)
                    worker.abandon(d)
                    continue
                timeout = worker.visibility_timeout(d.spec)
                if d.deadline - now > timeout / 2:
                    continue
                try:
                    worker.clients.sqs.change_message_visibility(
                        QueueUrl=d.queue_url, ReceiptHandle=d.receipt, VisibilityTimeout=timeout)
                    d.deadline = time.monotonic() + timeout
                except Exception as exc:  # receipt gone (stack restarted): the runtime copes later
                    log.debug("heartbeat for %s failed: %s", d.message_id, exc)
                    d.deadline = now + timeout  # don't hammer a dead receipt every tick
