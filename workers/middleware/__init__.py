"""Cross-cutting behaviour of the consume loop, one concern per module (dramatiq-style hooks).

`before_process` hooks run in list order, `after_process` hooks in reverse, so the outer
middleware see the final outcome of the inner ones:

    LogContext > JobStatus > Retries > FanIn > Heartbeat > handler

Heartbeat (innermost) turns an attempt past its time limit into an error; FanIn counts and
triggers only what succeeded; Retries decides what an error means; JobStatus, the one owner of
job status moves, applies the outcome; LogContext writes one line for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from workers.delivery import Delivery
    from workers.worker import Worker


class Middleware:
    def on_start(self, worker: Worker) -> None:
        """The worker is about to consume."""

    def on_stop(self, worker: Worker) -> None:
        """The worker has stopped consuming and drained its handlers."""

    def before_process(self, worker: Worker, d: Delivery) -> None:
        """May raise `Skip` to acknowledge without running the handler."""

    def after_process(self, worker: Worker, d: Delivery) -> None:
        """`d.result` or `d.error` is set; may set `d.error` to refuse the acknowledgement."""


def default_middleware() -> list[Middleware]:
    from workers.middleware.fan_in import FanIn
    from workers.middleware.idle_models import IdleModels
    from workers.middleware.job_status import JobStatus
    from workers.middleware.log_context import LogContext
    from workers.middleware.retries import Retries
    from workers.middleware.visibility import Heartbeat

    return [LogContext(), JobStatus(), Retries(), FanIn(), Heartbeat(), IdleModels()]
