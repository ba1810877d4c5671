"""What an operator sees and does with the stage queues: depths, dead letters, redrive.

Depths and dead letters are read by the dashboard's Operations page; redrive is carried out by a
worker on request (workers/control.py). It moves a stage's dead-lettered messages back to its
queue and reopens their failed jobs (a message of a FAILED job would otherwise be skipped); each
message is sent before it is deleted, so a crash in between duplicates rather than loses it, and
the stages' deduplication absorbs the duplicate. `DeadLetterWatch` (run by the workers) fails the
jobs of messages SQS dead-lettered without any worker answering.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Iterable

from shared.aws import Clients
from shared.dispatch import QueueUrls
from shared.jobs import QUEUED, RUNNING, JobStore
from shared.messages import job_id_of, message_id_of
from shared.names import MAX_RECEIVES, STAGES

ATTRIBUTES = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
              "ApproximateNumberOfMessagesDelayed"]


@dataclass(frozen=True)
class QueueDepth:
    stage: str
    waiting: int
    in_flight: int
    delayed: int
    dead: int


@dataclass(frozen=True)
class DeadLetter:
    stage: str
    job_id: str | None
    message_id: str | None
    body: str
    receives: int


def _attrs(clients: Clients, url: str) -> dict[str, int]:
    got = clients.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=ATTRIBUTES)["Attributes"]
    return {k: int(got.get(k, 0)) for k in ATTRIBUTES}


def depths(clients: Clients, stages: tuple[str, ...] = STAGES) -> list[QueueDepth]:
    urls = QueueUrls(clients.sqs, clients.names)
    out = []
    for stage in stages:
        main, dead = _attrs(clients, urls.stage(stage)), _attrs(clients, urls.dlq(stage))
        out.append(QueueDepth(stage, main["ApproximateNumberOfMessages"],
                              main["ApproximateNumberOfMessagesNotVisible"], main["ApproximateNumberOfMessagesDelayed"],
                              dead["ApproximateNumberOfMessages"] + dead["ApproximateNumberOfMessagesNotVisible"]))
    return out


def peek_dead_letters(clients: Clients, stage: str, limit: int = 10) -> list[DeadLetter]:
    """Up to `limit` messages of a stage's DLQ, left in place (visible again at once)."""
    url = QueueUrls(clients.sqs, clients.names).dlq(stage)
    resp = clients.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=min(10, limit), VisibilityTimeout=0,
                                       AttributeNames=["ApproximateReceiveCount"], WaitTimeSeconds=0)
    return [DeadLetter(stage, job_id_of(m["Body"]), message_id_of(m["Body"]), m["Body"],
                       int(m.get("Attributes", {}).get("ApproximateReceiveCount", 0)))
            for m in resp.get("Messages", [])]


def redrive(clients: Clients, stage: str, max_messages: int = 1000) -> int:
    """Move a stage's dead letters back to its queue; returns how many moved."""
    urls = QueueUrls(clients.sqs, clients.names)
    jobs = JobStore(clients.dynamodb, clients.names.jobs_table)
    source, target = urls.dlq(stage), urls.stage(stage)
    moved = 0
    reopened: set[str] = set()
    while moved < max_messages:
        batch: list[dict[str, Any]] = clients.sqs.receive_message(
            QueueUrl=source, MaxNumberOfMessages=10, VisibilityTimeout=60, WaitTimeSeconds=0).get("Messages", [])
        if not batch:
            break
        for m in batch:
            job_id = job_id_of(m["Body"])
            if job_id and job_id not in reopened:
                jobs.reopen_job(job_id)
                reopened.add(job_id)
            clients.sqs.send_message(QueueUrl=target, MessageBody=m["Body"])
            clients.sqs.delete_message(QueueUrl=source, ReceiptHandle=m["ReceiptHandle"])
            moved += 1
    return moved


class DeadLetterWatch:
    """Fail, with the reason, an unfinished job whose message SQS dead-lettered on its own.

    After a message's last failed attempt the worker fails its job and dead-letters it. SQS
    dead-letters a message by itself only when it was received MAX_RECEIVES times and never
    answered: every worker that took it stopped first (SIGKILL, out of memory, a lost host), so
    nobody recorded anything and the job would stay RUNNING for ever. Workers call `look()` now
    and then. A letter counts only when seen again at least `grace_s` after it was first seen,
    with its job unfinished both times, so neither the worker's own dead-lettering (message sent,
    job failed a moment later) nor a redrive on its way (job reopened, letter not yet moved) is
    mistaken for it.
    """

    def __init__(self, clients: Clients, stages: Iterable[str], grace_s: float) -> None:
        self.clients = clients
        self.stages = [s for s in stages if s in STAGES or s == "control"]
        self.grace_s = grace_s
        self.jobs = JobStore(clients.dynamodb, clients.names.jobs_table)
        self._first_seen: dict[tuple[str, str, str | None], float] = {}

    def look(self) -> list[str]:
        """The jobs it failed this time."""
        now, failed, seen = time.monotonic(), [], {}
        for stage in self.stages:
            for letter in peek_dead_letters(self.clients, stage):
                if not letter.job_id:
                    continue
                if self.jobs.job_status(letter.job_id) not in (QUEUED, RUNNING):
                    continue  # ended, or reopened by a redrive that is moving it: its clock starts again
                key = (stage, letter.job_id, letter.message_id)
                seen[key] = first = self._first_seen.get(key, now)
                if now - first < self.grace_s:
                    continue
                reason = (f"{stage} got no answer in {MAX_RECEIVES} deliveries of {letter.message_id}: each worker "
                          f"that took it stopped before it finished (killed? out of memory?); the message is in "
                          f"the {stage} DLQ, `brandvis redrive {stage}` tries it again")
                if self.jobs.fail_job(letter.job_id, reason):
                    failed.append(letter.job_id)
        self._first_seen = seen
        return failed
