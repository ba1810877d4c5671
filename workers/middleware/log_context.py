"""One log line per processed message: job, stage, message id, attempt, outcome, duration."""

from __future__ import annotations

import contextvars
import json
import logging
import time
from types import MappingProxyType
from typing import TYPE_CHECKING, Mapping

from workers.delivery import Delivery
from workers.middleware import Middleware

if TYPE_CHECKING:
    from workers.worker import Worker

log = logging.getLogger("brandvis.worker")

#: job/stage/message id of the message this thread is processing, for every log line under it.
current: contextvars.ContextVar[Mapping[str, str]] = contextvars.ContextVar("brandvis_log_context",
                                                                          default=MappingProxyType({}))


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        ctx = current.get()
        record.ctx = " ".join(f"{k}={v}" for k, v in ctx.items()) if ctx else ""
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line, the message's context as fields: CloudWatch Logs Insights filters on
    `job`, `stage` or `event` without parsing text."""

    def format(self, record: logging.LogRecord) -> str:
        ctx = dict(current.get())
        if "message" in ctx:  # the SQS message id; "message" is the log line's text here
            ctx["message_id"] = ctx.pop("message")
        doc = {"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"), "level": record.levelname,
               "logger": record.name, **ctx, "message": record.getMessage()}
        if record.exc_info:
            doc["traceback"] = self.formatException(record.exc_info)
        return json.dumps(doc, default=str)


def configure_logging(level: str = "INFO", fmt: str = "text") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else
                         logging.Formatter("%(asctime)s %(levelname)s %(name)s %(ctx)s %(message)s"))
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("botocore", "boto3", "urllib3", "s3transfer"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


class LogContext(Middleware):
    def before_process(self, worker: Worker, d: Delivery) -> None:
        d.extras["t0"] = time.monotonic()
        current.set({"worker": worker.worker_id, "job": d.job_id or "?", "stage": d.stage, "message": d.message_id,
                     "attempt": str(d.receive_count)})

    def after_process(self, worker: Worker, d: Delivery) -> None:
        ms = int((time.monotonic() - d.extras.get("t0", d.received_at)) * 1000)
        detail = ""
        if d.skipped:
            detail = f" reason={d.skipped!r}"
        elif d.error is not None:
            detail = f" error={type(d.error).__name__}: {d.error}"
        else:
            detail = f" children={d.children}"
        level = logging.WARNING if d.error is not None and d.outcome != "later" else logging.INFO
        log.log(level, "event=%s ms=%d%s", d.outcome or ("failed" if d.error else "done"), ms, detail)
        if d.traceback and d.outcome in ("retry", "dead"):
            log.debug("traceback:\n%s", d.traceback)
        current.set({})
