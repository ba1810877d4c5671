"""The resume sweep: after the local stack restarts, put every unfinished job's pending
messages back on their queues. Stages are idempotent and counters deduplicate, so re-sending a
message that had in fact finished costs a little work and changes no result.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.aws import Clients
from shared.dispatch import Dispatcher, QueueUrls
from shared.jobs import QUEUED, RUNNING, JobStore


@dataclass(frozen=True)
class Resumed:
    jobs: int
    messages: int


def resume_unfinished(clients: Clients) -> Resumed:
    store = JobStore(clients.dynamodb, clients.names.jobs_table)
    dispatcher = Dispatcher(clients.sqs, store, QueueUrls(clients.sqs, clients.names))
    jobs = messages = 0
    for job in store.list_jobs(limit=100_000, statuses=(QUEUED, RUNNING)):
        pending = store.pending_messages(job.job_id)
        if pending:
            dispatcher.send_bodies(pending)
            jobs += 1
            messages += len(pending)
    return Resumed(jobs=jobs, messages=messages)
