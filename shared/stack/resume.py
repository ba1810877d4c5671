"""The resume sweep: after the local stack restarts, put every unfinished job's pending
messages back on their queues. Stages are idempotent and counters deduplicate, so re-sending a
message that had in fact finished costs a little work and changes no result.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.aws import Clients
from shared.dispatch import Dispatcher, QueueUrls
from shared.jobs import QUEUED, RUNNING, JobStore
from shared.ledger import MessageLedger


@dataclass(frozen=True)
class Resumed:
    jobs: int
    messages: int


def resume_unfinished(clients: Clients) -> Resumed:
    table = clients.names.jobs_table
    ledger = MessageLedger(clients.dynamodb, table)
    dispatcher = Dispatcher(clients.sqs, ledger, QueueUrls(clients.sqs, clients.names))
    jobs = messages = 0
    for job in JobStore(clients.dynamodb, table).list_jobs(limit=100_000, statuses=(QUEUED, RUNNING)):
        pending = ledger.pending_messages(job.job_id)
        if pending:
            dispatcher.send_bodies(pending)
            jobs += 1
            messages += len(pending)
    return Resumed(jobs=jobs, messages=messages)
