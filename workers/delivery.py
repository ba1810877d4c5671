"""One received SQS message on its way through the middleware and the handler."""

from __future__ import annotations

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
    message: Message | None = None
    result: Result | None = None
    error: BaseException | None = None
    traceback: str | None = None
    skipped: str | None = None  # why the handler did not run (job already ended...)
    ack: bool = False  # delete from the queue when processing ends
    outcome: str = ""  # done | skipped | failed | retry | dead | later: for the log line
    children: int = 0
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def stage(self) -> str:
        return self.spec.name

    @property
    def job_id(self) -> str | None:
        return self.message.job_id if self.message else None

    @property
    def item(self) -> str:
        return self.message.message_id if self.message else self.sqs_message_id


class Skip(Exception):
    """Raised by a `before_process` hook: acknowledge the message without running the handler."""
