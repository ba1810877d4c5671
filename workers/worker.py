"""The consume loop: one long-polling consumer thread per queue, one handler thread per message.

A consumer takes one message at a time and starts its handler when a slot is free (so a busy
worker holds at most one waiting message per queue, kept alive by the heartbeat). The message
is deleted only after its handler and the middleware succeeded. A delivery is settled exactly
once: by its handler's thread when the handler returns, or by the time limit, which abandons a
handler that runs too long (a thread cannot be killed; its late result is ignored) and frees its
slot. `stop()` (SIGTERM) records "stopping" at once, stops polling, lets running handlers finish,
records "stopped", and gives waiting messages back to the queue. Everything else (retries,
counting, job status, logging) is middleware.
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
from pathlib import Path
from typing import Iterable

from botocore.exceptions import BotoCoreError, ClientError

from shared.aws import Clients
from shared.counters import StageCounters
from shared.dispatch import Dispatcher, QueueUrls
from shared.errors import MessageDecodeError
from shared.jobs import JobStore
from shared.ledger import MessageLedger
from shared.messages import decode
from shared.presence import HEARTBEAT_S, WorkerPresence
from shared.queues import DeadLetterWatch
from shared.table import now_iso
from workers.context import StageContext
from workers.delivery import Delivery, Skip, TimeLimitExceeded
from workers.isolated import run_isolated
from workers.middleware import Middleware, default_middleware
from workers.registry import StageSpec, get_stage, implemented

log = logging.getLogger("brandvis.worker")

#: How often a worker looks at its stages' DLQs for messages SQS dead-lettered on its own.
DEAD_LETTER_LOOK_S = 60.0


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
                 worker_id: str | None = None, dead_letter_look_s: float = DEAD_LETTER_LOOK_S) -> None:
        self.clients = clients
        self.config = clients.config
        self.stage_names = list(stages) if stages else implemented()
        self.specs: dict[str, StageSpec] = {s: get_stage(s) for s in self.stage_names}
        self.concurrency = max(1, concurrency)
        self.worker_id = worker_id or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:4]}"
        table = clients.names.jobs_table
        self.jobs = JobStore(clients.dynamodb, table)
        self.counters = StageCounters(clients.dynamodb, table)
        self.presence = WorkerPresence(clients.dynamodb, table)
        self.urls = QueueUrls(clients.sqs, clients.names)
        self.dispatcher = dispatcher or Dispatcher(clients.sqs, MessageLedger(clients.dynamodb, table), self.urls,
                                                   copies=2 if self.config.duplicate_sends else 1)
        self.ctx = StageContext.create(clients)
        self.middleware = middleware if middleware is not None else default_middleware()
        self.stopping = threading.Event()  # no new messages
        self.stopped = threading.Event()  # drained
        self._slots = threading.Semaphore(self.concurrency)
        self._consumers: list[threading.Thread] = []
        self._handlers: set[threading.Thread] = set()
        self._in_flight: dict[str, Delivery] = {}
        self._lock = threading.Lock()
        self._presence_lock = threading.Lock()
        self._started_at = now_iso()
        self.processed = 0
        self.dead_letters = DeadLetterWatch(clients, [s for s in self.stage_names if s != "events"],
                                            grace_s=dead_letter_look_s)
        self.dead_letter_look_s = dead_letter_look_s

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> Worker:
        for m in self.middleware:
            m.on_start(self)
        for stage in self.stage_names:
            t = threading.Thread(target=self._consume, args=(self.specs[stage],), name=f"consume-{stage}", daemon=True)
            t.start()
            self._consumers.append(t)
        threading.Thread(target=self._presence, name="presence", daemon=True).start()
        log.info("event=worker-started id=%s stages=%s concurrency=%d", self.worker_id,
                 ",".join(self.stage_names), self.concurrency)
        return self

    def stop(self, timeout: float | None = None) -> None:
        """Finish what is running, give back what waits, then return. "stopping" is recorded first
        and "stopped" as soon as the handlers are done, before the consumers' long polls end, so
        both reach the table while a local stack shut down beside this worker still serves."""
        with self._lock:  # after this no consumer starts a handler (it gives the message back)
            self.stopping.set()
            handlers = list(self._handlers)
        self._seen(stopping=True)
        for t in handlers:
            t.join(timeout)
        for m in reversed(self.middleware):
            m.on_stop(self)
        self.stopped.set()
        self._seen(stopped=True)
        for t in self._consumers:
            t.join(timeout)
        log.info("event=worker-stopped id=%s processed=%d peak_rss_mb=%.0f", self.worker_id, self.processed,
                 peak_rss_mb())

    def run_forever(self) -> None:
        """Run until SIGTERM or SIGINT (Ctrl-C), then stop gracefully."""
        received: list[int] = []  # the handler only appends: taking a lock there (Event.set, logging) can
        # deadlock with the main thread holding the same lock when the signal lands

        signal.signal(signal.SIGTERM, lambda signum, _frame: received.append(signum))
        signal.signal(signal.SIGINT, lambda signum, _frame: received.append(signum))
        self.start()
        while not received and not self.stopping.is_set():
            time.sleep(0.2)
        if received:
            log.info("event=signal signal=%s: finishing current messages", signal.Signals(received[0]).name)
        self.stopping.set()
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
                if not self._hand_over(d):
                    self._give_back(d)

    def _hand_over(self, d: Delivery) -> bool:
        """Start d's handler when a slot frees up; False once the worker is stopping."""
        while not self.stopping.is_set():
            if not self._slots.acquire(timeout=0.2):
                continue
            t = threading.Thread(target=self._process, args=(d,), name=f"handle-{d.spec.name}", daemon=True)
            with self._lock:
                if self.stopping.is_set():  # stop() has already listed the handlers it waits for
                    self._slots.release()
                    return False
                self._handlers.add(t)
            t.start()
            return True
        return False

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
                d.message = d.spec.decode(d.body, self.ctx) if d.spec.decode else decode(d.body)
            except MessageDecodeError as exc:
                d.error = exc
            try:
                for m in self.middleware:
                    ran.append(m)
                    m.before_process(self, d)
            except Skip as skip:  # every middleware sees the skip (Retries acknowledges it)
                d.skipped = str(skip) or "skipped"
                ran = list(self.middleware)
            d.extras["ran"] = ran
            if d.error is None and d.skipped is None:
                d.started_at = time.monotonic()
                try:
                    result = (run_isolated(d.stage, d.body, self.config, d.spec.time_limit) if d.spec.isolate
                              else d.spec.fn(d.message, self.ctx))
                except Exception as exc:
                    if not d.settled:
                        d.error, d.traceback = exc, traceback.format_exc()
                else:
                    if not d.settled:
                        d.result = result
        except Exception as exc:  # a middleware could not prepare (the store is unreachable): a failed
            # attempt that every middleware sees, so Retries counts it and backs off (else the message
            # sat out its whole visibility timeout, logged as done)
            log.exception("event=worker-error message=%s", d.message_id)
            if not d.settled and d.error is None:
                d.error, d.traceback = exc, traceback.format_exc()
                ran = list(self.middleware)
                d.extras["ran"] = ran
        finally:
            if d.settle():
                self._settle(d, ran)
            with self._lock:
                self._handlers.discard(threading.current_thread())

    def abandon(self, d: Delivery) -> None:
        """The time limit: settle now as a failed attempt; the handler's thread runs on, ignored."""
        if not d.settle():
            return
        d.error = TimeLimitExceeded(f"{d.stage} ran past its time limit of {d.spec.time_limit} s")
        d.result, d.traceback = None, None
        self._settle(d, d.extras.get("ran", self.middleware))

    def _settle(self, d: Delivery, ran: list[Middleware]) -> None:
        try:
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
            log.exception("event=worker-error message=%s", d.message_id)
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
            log.info("event=delete-failed message=%s error=%s", d.message_id, exc.response["Error"]["Code"])

    # -- presence ----------------------------------------------------------------------------
    def _presence(self) -> None:
        """The heartbeat; and now and then, a look at the DLQs for jobs nobody else would fail."""
        next_look = time.monotonic() + self.dead_letter_look_s
        while not self.stopping.is_set():
            self._seen()
            if time.monotonic() >= next_look:
                next_look = time.monotonic() + self.dead_letter_look_s
                try:
                    for job_id in self.dead_letters.look():
                        log.warning("event=dead-lettered-unanswered job=%s", job_id)
                except (BotoCoreError, ClientError):
                    pass
            self.stopping.wait(min(HEARTBEAT_S, self.dead_letter_look_s))

    def _seen(self, stopped: bool = False, stopping: bool = False) -> None:
        """A heartbeat, or the stop; a heartbeat never overwrites a stop recorded before it."""
        with self._presence_lock:
            if not (stopped or stopping) and self.stopping.is_set():
                return
            try:
                self.presence.seen(self.worker_id, socket.gethostname(), os.getpid(), self.stage_names,
                                   self._started_at, stopped=stopped, stopping=stopping)
            except (BotoCoreError, ClientError):
                pass
