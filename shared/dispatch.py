"""Sending stage messages: record them in the job's ledger, then put them on their queues.

Job requests, the worker runtime and the resume sweep all send through here, so every message
on a queue is one the sweep can re-send. (Redrive moves dead letters back without re-recording
them: they were recorded when first sent.)
"""

from __future__ import annotations

import threading
from collections import defaultdict
from typing import Any, Iterable, Sequence

from shared.ledger import MessageLedger
from shared.messages import Message
from shared.names import Names


class QueueUrls:
    """Queue name -> URL, looked up once per process."""

    def __init__(self, sqs: Any, names: Names) -> None:
        self.sqs = sqs
        self.names = names
        self._urls: dict[str, str] = {}
        self._lock = threading.Lock()

    def url(self, queue_name: str) -> str:
        with self._lock:
            if queue_name not in self._urls:
                self._urls[queue_name] = self.sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
            return self._urls[queue_name]

    def stage(self, stage: str) -> str:
        return self.url(self.names.queue(stage))

    def dlq(self, stage: str) -> str:
        return self.url(self.names.dlq(stage))

    def forget(self) -> None:
        """After the local stack restarts, URLs stay valid but cached state should not be trusted."""
        with self._lock:
            self._urls.clear()


class Dispatcher:
    """`copies`: how many times each message goes on its queue; 2 (BRANDVIS_DUPLICATE_SENDS) is
    at-least-once delivery at its worst, to show the stages and counters absorb it."""

    def __init__(self, sqs: Any, ledger: MessageLedger, urls: QueueUrls, copies: int = 1) -> None:
        self.sqs = sqs
        self.ledger = ledger
        self.urls = urls
        self.copies = max(1, copies)

    def send(self, messages: Sequence[Message], delay_s: int = 0, record: bool = True) -> None:
        by_job: dict[str, list[Message]] = defaultdict(list)
        for m in messages:
            by_job[m.job_id].append(m)
        if record:
            for job_id, group in by_job.items():
                self.ledger.put_messages(job_id, [(m.stage, m.counter, m.message_id, m.encode()) for m in group])
        self.send_bodies([(m.stage, m.encode()) for m in messages], delay_s)

    def send_bodies(self, bodies: Iterable[tuple[str, str]], delay_s: int = 0) -> None:
        """Put already-recorded bodies on their stage queues (the resume sweep's path)."""
        by_stage: dict[str, list[str]] = defaultdict(list)
        for stage, body in bodies:
            by_stage[stage].extend([body] * self.copies)
        for stage, group in by_stage.items():
            url = self.urls.stage(stage)
            for i in range(0, len(group), 10):
                entries = [{"Id": str(n), "MessageBody": body, "DelaySeconds": delay_s}
                           for n, body in enumerate(group[i:i + 10])]
                resp = self.sqs.send_message_batch(QueueUrl=url, Entries=entries)
                failed = resp.get("Failed") or []
                if failed:
                    raise RuntimeError(f"could not send {len(failed)} message(s) to {stage}: {failed[0].get('Message')}")
