"""What an operator sees and does with the stage queues: depths, dead letters, redrive.

Depths and dead letters are read by the dashboard's Operations page; redrive is carried out by a
worker on request (workers/control.py). It moves a stage's dead-lettered messages back to its
queue and reopens their failed jobs (a message of a FAILED job would otherwise be skipped); each
message is sent before it is deleted, so a crash in between duplicates rather than loses it, and
the stages' deduplication absorbs the duplicate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.aws import Clients
from shared.dispatch import QueueUrls
from shared.jobs import JobStore
from shared.messages import job_id_of, message_id_of
from shared.names import STAGES

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
