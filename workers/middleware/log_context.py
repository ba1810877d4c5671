"""One log line per processed message: job, stage, message id, attempt, outcome, duration."""

from __future__ import annotations

import contextvars
import json
import logging
import os
import re
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


#: What a secret looks like in a log line: AWS access key ids, a presigned URL's signature,
#: credential and token, and `name=value` / `"name": "value"` for secret-sounding names. Group 1
#: is what stays (the name), the rest becomes `***`.
_SECRETS = [
    re.compile(r"()\b(?:AKIA|ASIA|AROA|AIDA)[A-Z0-9]{16}\b"),
    re.compile(r"(?i)((?<=[?&])(?:x-amz-signature|x-amz-credential|x-amz-security-token|signature|awsaccesskeyid)=)"
               r"[^&\s\"'\\]+"),
    re.compile(r"(?i)([\w-]*(?:secret|token|password|passwd|credential|api_?key)[\w-]*[\"']?\s*[:=]\s*[\"']?)"
               r"[^\s\"',;}&\\]+"),
]
_SECRET_NAME = re.compile(r"(?i)secret|token|password|passwd|credential|access_key|api_?key")


def _secret_values() -> list[str]:
    """Values of secret-named environment variables (AWS_SECRET_ACCESS_KEY…): redacted wherever they appear."""
    return sorted({v for k, v in os.environ.items() if _SECRET_NAME.search(k) and len(v) >= 8}, key=len, reverse=True)


def redact(text: str, values: list[str] | None = None) -> str:
    """`text` with every secret replaced by `***`: logs go to terminals and CloudWatch, secrets never."""
    for value in _secret_values() if values is None else values:
        text = text.replace(value, "***")
    for pattern in _SECRETS:
        text = pattern.sub(lambda m: m.group(1) + "***", text)
    return text


class RedactingFormatter(logging.Formatter):
    """The terminal's text lines, secrets redacted."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object a line, the message's context as fields: CloudWatch Logs Insights filters on
    `job`, `stage` or `event` without parsing text. Every field is redacted before encoding."""

    def format(self, record: logging.LogRecord) -> str:
        ctx = dict(current.get())
        if "message" in ctx:  # the SQS message id; "message" is the log line's text here
            ctx["message_id"] = ctx.pop("message")
        doc = {"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"), "level": record.levelname,
               "logger": record.name, **ctx, "message": record.getMessage()}
        if record.exc_info:
            doc["traceback"] = self.formatException(record.exc_info)
        values = _secret_values()
        return json.dumps({k: redact(str(v), values) if isinstance(v, str) else v for k, v in doc.items()},
                          default=lambda o: redact(str(o), values))


def configure_logging(level: str = "INFO", fmt: str = "text") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else
                         RedactingFormatter("%(asctime)s %(levelname)s %(name)s %(ctx)s %(message)s"))
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
