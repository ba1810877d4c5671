"""One received SQS message on its way through the middleware and the handler."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from shared.messages import Message
from workers.registry import Result, StageSpec


@dataclass
class Delivery:
    spec: StageSpec
    queue_url: str
    receipt: str
    sqs_message_id: str
    body: str
    receive_count: int
    received_at: float = field(default_factory=time.monotonic)
    deadline: float = 0.0  # when the message becomes visible again unless extended
    started_at: float | None = None  # when its handler began (the time limit counts from here)
    message: Message | None = None
    result: Result | None = None
    error: BaseException | None = None
    traceback: str | None = None
    skipped: str | None = None  # why the handler did not run (job already ended...)
    ack: bool = False  # delete from the queue when processing ends
    outcome: str = ""  # done | skipped | failed | retry | dead | later: for the log line
    failure: str | None = None  # the job fails with this (decided by Retries, applied by JobStatus)
    finish: dict[str, Any] | None = None  # the job succeeds with this result (decided by FanIn)
    children: int = 0
    extras: dict[str, Any] = field(default_factory=dict)
    _settled: threading.Lock = field(default_factory=threading.Lock, repr=False)
    settled: bool = False  # after-hooks ran: by the handler's thread, or by the time limit

    @property
    def stage(self) -> str:
        return self.spec.name

    @property
    def job_id(self) -> str | None:
        return self.message.job_id if self.message else None

    @property
    def counter(self) -> str:
        """The fan-in counter this delivery completes (its stage, or `stage@group`)."""
        return self.message.counter if self.message else self.stage

    @property
    def message_id(self) -> str:
        return self.message.message_id if self.message else self.sqs_message_id

    def settle(self) -> bool:
        """True for the one caller that gets to finish this delivery."""
        with self._settled:
            if self.settled:
                return False
            self.settled = True
            return True


class Skip(Exception):
    """Raised by a `before_process` hook: acknowledge the message without running the handler."""


class TimeLimitExceeded(Exception):
    """An attempt ran past its stage's time limit: it is abandoned and retried like a failure."""
