"""The consume loop: one long-polling consumer thread per stage queue, a pool of handler threads.

A consumer takes one message at a time and hands it to the pool when a slot is free (so a busy
worker holds at most one waiting message per queue, kept alive by the heartbeat). The message
is deleted only after its handler and the middleware succeeded. `stop()` (SIGTERM) stops
polling, lets running handlers finish, and gives waiting messages back to the queue.
"""

from __future__ import annotations

import logging
import os
import resource
import signal
import socket
import threading
import time
import traceback
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Iterable

from botocore.exceptions import BotoCoreError, ClientError

from shared.aws import Clients
from shared.dispatch import Dispatcher, QueueUrls
from shared.errors import MessageDecodeError
from shared.jobs import JobStore, now_iso
from shared.messages import decode
from workers.context import StageContext
from workers.delivery import Delivery, Skip
from workers.idle_models import stop_idle_models
from workers.middleware import Middleware, default_middleware
from workers.registry import StageSpec, get_stage, implemented

log = logging.getLogger("brandvis.worker")

PRESENCE_EVERY_S = 10.0
IDLE_CHECK_S = 60.0  # how often a start-model worker looks for idle, billing models


def peak_rss_mb() -> float:
    """This process's peak resident memory. VmHWM, not ru_maxrss: after fork+exec, ru_maxrss
    still carries the parent's peak (a worker started by a big process would look big)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Worker:
    def __init__(self, clients: Clients, stages: Iterable[str] | None = None, concurrency: int = 1,
                 middleware: list[Middleware] | None = None, dispatcher: Dispatcher | None = None,
                 worker_id: str | None = None) -> None:
        self.clients = clients
        self.config = clients.config
        self.stage_names = list(stages) if stages else implemented()
        self.specs: dict[str, StageSpec] = {s: get_stage(s) for s in self.stage_names}
        self.concurrency = max(1, concurrency)
        self.worker_id = worker_id or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:4]}"
        self.store = JobStore(clients.dynamodb, clients.names.jobs_table)
        self.urls = QueueUrls(clients.sqs, clients.names)
        self.dispatcher = dispatcher or Dispatcher(clients.sqs, self.store, self.urls)
        self.ctx = StageContext.create(clients)
        self.middleware = middleware if middleware is not None else default_middleware()
        self.stopping = threading.Event()  # no new messages
        self.stopped = threading.Event()  # drained
        self._slots = threading.Semaphore(self.concurrency)
        self._pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="handler")
        self._consumers: list[threading.Thread] = []
        self._in_flight: dict[str, Delivery] = {}
        self._lock = threading.Lock()
        self._started_at = now_iso()
        self.processed = 0

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> Worker:
        for m in self.middleware:
            m.on_start(self)
        for stage in self.stage_names:
            t = threading.Thread(target=self._consume, args=(self.specs[stage],), name=f"consume-{stage}", daemon=True)
            t.start()
            self._consumers.append(t)
        threading.Thread(target=self._presence, name="presence", daemon=True).start()
        if "start-model" in self.stage_names:
            threading.Thread(target=self._idle_models, name="idle-models", daemon=True).start()
        log.info("event=worker-started id=%s stages=%s concurrency=%d", self.worker_id,
                 ",".join(self.stage_names), self.concurrency)
        return self

    def stop(self, timeout: float | None = None) -> None:
        """Finish what is running, give back what waits, then return."""
        self.stopping.set()
        for t in self._consumers:
            t.join(timeout)
        self._pool.shutdown(wait=True)
        for m in reversed(self.middleware):
            m.on_stop(self)
        self.stopped.set()
        self._seen(stopped=True)
        log.info("event=worker-stopped id=%s processed=%d peak_rss_mb=%.0f", self.worker_id, self.processed,
                 peak_rss_mb())

    def run_forever(self) -> None:
        """Run until SIGTERM or SIGINT (Ctrl-C), then stop gracefully."""
        def handle(signum: int, _frame: object) -> None:
            log.info("event=signal signal=%s: finishing current messages", signal.Signals(signum).name)
            self.stopping.set()

        signal.signal(signal.SIGTERM, handle)
        signal.signal(signal.SIGINT, handle)
        self.start()
        while not self.stopping.wait(0.5):
            pass
        self.stop()

    def visibility_timeout(self, spec: StageSpec) -> int:
        """The stage's own timeout, unless the config overrides it (tests use a short one)."""
        return self.config.visibility_timeout_s or spec.visibility_timeout

    def in_flight(self) -> list[Delivery]:
        with self._lock:
            return list(self._in_flight.values())

    # -- consuming ---------------------------------------------------------------------------
    def _consume(self, spec: StageSpec) -> None:
        sqs = self.clients.sqs
        failures = 0
        while not self.stopping.is_set():
            try:
                url = self.urls.stage(spec.name)
                resp = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1,
                                           WaitTimeSeconds=self.config.poll_wait_s,
                                           VisibilityTimeout=self.visibility_timeout(spec),
                                           MessageSystemAttributeNames=["ApproximateReceiveCount"])
                failures = 0
            except (BotoCoreError, ClientError) as exc:
                if self.stopping.is_set():
                    break  # shutting down beside the stack: nothing to report
                failures += 1
                if failures in (1, 10) or failures % 60 == 0:
                    log.warning("event=poll-failed stage=%s error=%s (retrying)", spec.name, exc)
                self.urls.forget()
                self.stopping.wait(min(5.0, 0.2 * failures))
                continue
            for m in resp.get("Messages", []):
                d = Delivery(spec=spec, queue_url=url, receipt=m["ReceiptHandle"], sqs_message_id=m["MessageId"],
                             body=m["Body"], receive_count=int(m.get("Attributes", {}).get("ApproximateReceiveCount", 1)),
                             deadline=time.monotonic() + self.visibility_timeout(spec))
                with self._lock:
                    self._in_flight[d.receipt] = d
                while not self._slots.acquire(timeout=0.2):
                    if self.stopping.is_set():
                        self._give_back(d)
                        break
                else:
                    self._pool.submit(self._process, d)

    def _give_back(self, d: Delivery) -> None:
        with self._lock:
            self._in_flight.pop(d.receipt, None)
        try:
            self.clients.sqs.change_message_visibility(QueueUrl=d.queue_url, ReceiptHandle=d.receipt, VisibilityTimeout=0)
        except (BotoCoreError, ClientError):
            pass

    def _process(self, d: Delivery) -> None:
        ran: list[Middleware] = []
        try:
            try:
                d.message = decode(d.body)
            except MessageDecodeError as exc:
                d.error = exc
            try:
                for m in self.middleware:
                    ran.append(m)
                    m.before_process(self, d)
            except Skip as skip:
                d.skipped = str(skip) or "skipped"
            if d.error is None and d.skipped is None:
                try:
                    d.result = d.spec.fn(d.message, self.ctx)
                except Exception as exc:
                    d.error = exc
                    d.traceback = traceback.format_exc()
            for m in reversed(ran):
                try:
                    m.after_process(self, d)
                except Exception as exc:  # e.g. the store is unreachable: do not acknowledge
                    d.error, d.ack = exc, False
                    d.traceback = traceback.format_exc()
                    log.warning("event=middleware-failed middleware=%s error=%s", type(m).__name__, exc)
            if d.ack:
                self._delete(d)
            with self._lock:
                self.processed += 1
        except Exception:
            log.exception("event=worker-error item=%s", d.item)
        finally:
            with self._lock:
                self._in_flight.pop(d.receipt, None)
            self._slots.release()

    def _delete(self, d: Delivery) -> None:
        try:
            self.clients.sqs.delete_message(QueueUrl=d.queue_url, ReceiptHandle=d.receipt)
        except ClientError as exc:
            # After a local stack restart the receipt is gone; the message was re-sent by the
            # resume sweep and will be deduplicated by the counters.
            log.info("event=delete-failed item=%s error=%s", d.item, exc.response["Error"]["Code"])

    # -- presence ----------------------------------------------------------------------------
    def _presence(self) -> None:
        while not self.stopping.is_set():
            self._seen()
            self.stopping.wait(PRESENCE_EVERY_S)

    def _idle_models(self) -> None:
        while not self.stopping.wait(IDLE_CHECK_S):
            try:
                stop_idle_models(self.ctx.models, self.ctx.backend, self.config.model_idle_stop_s)
            except Exception as exc:  # a failed check is retried next minute; it must not kill the worker
                log.warning("event=idle-check-failed error=%s", exc)

    def _seen(self, stopped: bool = False) -> None:
        try:
            self.store.worker_seen(self.worker_id, socket.gethostname(), os.getpid(), self.stage_names,
                                   self._started_at, stopped=stopped)
        except (BotoCoreError, ClientError):
            pass
