"""Exceptions that carry a decision for the runtime, not just a failure."""

from __future__ import annotations


class JobError(Exception):
    """The user's input cannot be processed (bad file, unknown model...).

    The job fails at once with this message, shown as-is in the CLI and dashboard: no retries,
    no traceback. Write it for the analyst ("not a media file: clip.mp4"), not for us.
    """


class RetryLater(Exception):
    """Not ready yet (a model still starting): run this message again in `seconds`.

    The runtime re-sends the message with SQS DelaySeconds; no worker sleeps and the attempt
    does not count towards the dead-letter limit. Waiting is bounded: once the message has waited
    `max_wait_s` in all (counted from its first RetryLater), the job fails with `reason`.
    """

    def __init__(self, seconds: int, reason: str = "", max_wait_s: int = 3600) -> None:
        super().__init__(reason or f"retry in {seconds}s")
        self.seconds = max(0, min(int(seconds), 900))  # SQS's DelaySeconds range
        self.reason = reason
        self.max_wait_s = max_wait_s

    def __reduce__(self) -> tuple[type, tuple[int, str, int]]:  # crosses from an isolated stage's process
        return RetryLater, (self.seconds, self.reason, self.max_wait_s)


class MessageDecodeError(ValueError):
    """A queue message is not a brandvis message of a version we understand (poison)."""
