"""The message ledger expires (DynamoDB TTL, as infra/terraform and the local stack declare it);
nothing else in the table does."""

from __future__ import annotations

import time

from shared.jobs import JobStore
from shared.ledger import MessageLedger
from shared.names import LEDGER_TTL_ATTRIBUTE, LEDGER_TTL_S, QUEUE_RETENTION_S


def test_ledger_items_expire_after_any_queue_could_hold_their_message(clients, store: JobStore,
                                                                      ledger: MessageLedger):
    # Given the local stack's table, provisioned as terraform provisions it
    ttl = clients.dynamodb.describe_time_to_live(TableName=clients.names.jobs_table)["TimeToLiveDescription"]
    assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", LEDGER_TTL_ATTRIBUTE)
    # When a job records its messages
    before = int(time.time())
    store.create_job("j-ttl", "analysis", {}, "probe")
    ledger.put_messages("j-ttl", [("probe", "probe", "m1", "{}")])
    items = clients.dynamodb.query(TableName=clients.names.jobs_table, KeyConditionExpression="pk = :pk",
                                   ExpressionAttributeValues={":pk": {"S": "job#j-ttl"}})["Items"]
    # Then the ledger item carries an expiry later than SQS keeps a message, and the job record none
    expiring = {i["sk"]["S"]: int(i[LEDGER_TTL_ATTRIBUTE]["N"]) for i in items if LEDGER_TTL_ATTRIBUTE in i}
    assert list(expiring) == ["msg#probe#m1"]
    assert LEDGER_TTL_S > QUEUE_RETENTION_S
    assert before + LEDGER_TTL_S <= expiring["msg#probe#m1"] <= int(time.time()) + LEDGER_TTL_S
    assert len(items) > 1  # the job's own record is there, without the attribute
    # and the resume sweep still reads it
    assert ledger.pending_messages("j-ttl") == [("probe", "{}")]
