"""Every message ever sent for a job, recorded before it is sent.

The local stack keeps no queue contents across a restart; the resume sweep re-sends, from this
ledger, every message whose id its stage's counter has not seen. Items:
`job#<id>`, `msg#<stage>#<message_id>` (shared/table.py).
"""

from __future__ import annotations

import time
from typing import Iterable

from shared.counters import StageCounters
from shared.names import LEDGER_TTL_ATTRIBUTE, LEDGER_TTL_S
from shared.table import Table


class MessageLedger(Table):
    def put_messages(self, job_id: str, messages: Iterable[tuple[str, str, str, str]]) -> None:
        """Record (stage, counter, message_id, body) before sending, so a lost queue can be refilled.
        Entries expire (DynamoDB TTL) once no queue could still hold their message."""
        expires = str(int(time.time()) + LEDGER_TTL_S)
        requests = [{"PutRequest": {"Item": {
            "pk": {"S": f"job#{job_id}"}, "sk": {"S": f"msg#{stage}#{mid}"},
            "stage_name": {"S": stage}, "counter": {"S": counter}, "message_id": {"S": mid}, "body": {"S": body},
            LEDGER_TTL_ATTRIBUTE: {"N": expires}}}}
            for stage, counter, mid, body in messages]
        for i in range(0, len(requests), 25):
            batch = {self.table: requests[i:i + 25]}
            while batch:
                resp = self.ddb.batch_write_item(RequestItems=batch)
                batch = resp.get("UnprocessedItems") or {}

    def pending_messages(self, job_id: str) -> list[tuple[str, str]]:
        """(stage, body) of every message not yet counted done, plus any completed group whose
        trigger was lost (its last message is re-sent; it re-triggers, nothing double-counts)."""
        stages = StageCounters(self.ddb, self.table).stages(job_id)
        pending = []
        for item in self.query_prefix(f"job#{job_id}", "msg#"):
            progress = stages.get(item.get("counter", item["stage_name"]))
            done_ids = set(progress.done_ids) if progress else set()
            if item["message_id"] not in done_ids:
                pending.append((item["stage_name"], item["body"]))
            elif progress and progress.complete and not progress.triggered and progress.last_id == item["message_id"]:
                pending.append((item["stage_name"], item["body"]))
        return pending
