"""The local stack provisions what infra/terraform/ declares, idempotently."""

from __future__ import annotations

import json

from shared.names import LABELING_DETAIL_TYPE, MAX_RECEIVES, STAGES
from shared.stack.provision import provision


def _events_queue_messages(clients):
    url = clients.sqs.get_queue_url(QueueName=clients.names.events_queue)["QueueUrl"]
    resp = clients.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
    return [json.loads(m["Body"]) for m in resp.get("Messages", [])]


def test_every_stage_has_a_queue_and_a_dlq_with_redrive_after_three_receives(clients):
    names = clients.names
    existing = set(u.rsplit("/", 1)[1] for u in clients.sqs.list_queues(QueueNamePrefix="brandvis")["QueueUrls"])
    assert existing == set(names.all_queues())
    for stage in list(STAGES) + ["events"]:
        url = clients.sqs.get_queue_url(QueueName=names.queue(stage))["QueueUrl"]
        attrs = clients.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        policy = json.loads(attrs["RedrivePolicy"])
        assert int(policy["maxReceiveCount"]) == MAX_RECEIVES
        assert policy["deadLetterTargetArn"].endswith(":" + names.dlq(stage))


def test_bucket_is_private_and_encrypted(clients):
    bucket = clients.names.bucket
    enc = clients.s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert enc["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    block = clients.s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values()) and len(block) == 4


def test_jobs_table_has_the_listing_index(clients):
    table = clients.dynamodb.describe_table(TableName=clients.names.jobs_table)["Table"]
    assert [k["AttributeName"] for k in table["KeySchema"]] == ["pk", "sk"]
    assert [i["IndexName"] for i in table["GlobalSecondaryIndexes"]] == ["by-kind"]


def test_provisioning_twice_changes_nothing(clients):
    first = provision(clients)
    second = provision(clients)
    assert first == second


def test_labeling_state_changes_reach_the_events_queue_and_others_do_not(clients):
    def put(detail_type, status, source="brandvis.labeler"):
        resp = clients.events.put_events(Entries=[{
            "Source": source, "DetailType": detail_type,
            "Detail": json.dumps({"LabelingJobStatus": status, "LabelingJobName": f"job-{status}"})}])
        assert resp["FailedEntryCount"] == 0

    put(LABELING_DETAIL_TYPE, "Completed")
    put(LABELING_DETAIL_TYPE, "InProgress")  # not a final state: filtered
    put("Something Else", "Completed")  # other detail-type: filtered
    put(LABELING_DETAIL_TYPE, "Failed", source="someone.else")  # other source: filtered
    got = _events_queue_messages(clients)
    assert [(e["detail-type"], e["detail"]["LabelingJobName"]) for e in got] == [(LABELING_DETAIL_TYPE, "job-Completed")]
