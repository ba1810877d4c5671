"""Heartbeat: keep extending a message's visibility while it waits for a slot or runs.

Without it a long segment would reappear on the queue mid-work and run twice; with it, a worker
killed mid-message stops extending and the message reappears within one visibility timeout.
"""

from __future__ import annotations

import logging
import threading
import time

from workers.middleware import Middleware

log = logging.getLogger("brandvis.worker")


class Heartbeat(Middleware):
    def __init__(self, tick_s: float = 1.0) -> None:
        self.tick_s = tick_s
        self._thread: threading.Thread | None = None

    def on_start(self, worker) -> None:  # type: ignore[override]
        self._thread = threading.Thread(target=self._run, args=(worker,), name="heartbeat", daemon=True)
        self._thread.start()

    def _run(self, worker) -> None:  # type: ignore[no-untyped-def]
        shortest = min(worker.visibility_timeout(spec) for spec in worker.specs.values())
        tick = min(self.tick_s, shortest / 4)  # several chances to extend before a deadline
        while not worker.stopped.wait(tick):
            now = time.monotonic()
            for d in worker.in_flight():
                timeout = worker.visibility_timeout(d.spec)
                if d.deadline - now > timeout / 2:
                    continue
                try:
                    worker.clients.sqs.change_message_visibility(
                        QueueUrl=d.queue_url, ReceiptHandle=d.receipt, VisibilityTimeout=timeout)
                    d.deadline = time.monotonic() + timeout
                except Exception as exc:  # receipt gone (stack restarted): the runtime copes later
                    log.debug("heartbeat for %s failed: %s", d.item, exc)
                    d.deadline = now + timeout  # don't hammer a dead receipt every tick
