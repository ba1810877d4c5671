"""The resume sweep: after the local stack restarts, put every unfinished job's pending
messages back on their queues. Stages are idempotent and counters deduplicate, so re-sending a
message that had in fact finished costs a little work and changes no result.

Queues are not kept, so the built-in labeler's end-of-labeling event (recorded in the table, then
announced on the events queue) may be gone too: a job still WAITING on a labeling job that has
ended gets the event again (the events consumer counts it once, by its id).
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.aws import Clients
from shared.dispatch import Dispatcher, QueueUrls
from shared.jobs import QUEUED, RUNNING, WAITING, JobStore
from shared.labeling.labelers import state_change_event
from shared.labeling.store import ENDED, LabelStore
from shared.ledger import MessageLedger


@dataclass(frozen=True)
class Resumed:
    jobs: int
    messages: int
    announced: int = 0  # labeling ends announced again


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
    return Resumed(jobs=jobs, messages=messages, announced=reannounce_ended_labeling(clients))


def reannounce_ended_labeling(clients: Clients) -> int:
    labels = LabelStore(clients.dynamodb, clients.names.jobs_table)
    entries = []
    for job in JobStore(clients.dynamodb, clients.names.jobs_table).list_jobs(limit=100_000, statuses=(WAITING,)):
        labeling = job.outputs.get("labeling") or {}
        record = labels.get(labeling["name"]) if labeling.get("labeler") == "builtin" else None
        if record is not None and record.status in ENDED:
            entries.append(state_change_event(record.name, record.status, clients.config.region,
                                              clients.client("sts").get_caller_identity()["Account"]))
    for i in range(0, len(entries), 10):  # PutEvents takes ten at a time
        clients.events.put_events(Entries=entries[i:i + 10])
    return len(entries)
