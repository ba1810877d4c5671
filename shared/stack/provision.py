"""Create the queues, table, bucket and EventBridge rule, idempotently (local stack only).

On AWS, `infra/terraform/` creates the same resources from the same names (`shared/names.py`).
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from shared.aws import Clients
from shared.names import (CONSUMERS, LABELING_DETAIL_TYPE, LABELING_SOURCES, LABELING_STATUSES, LEDGER_TTL_ATTRIBUTE,
                          MAX_RECEIVES, QUEUE_RETENTION_S, QUEUE_VISIBILITY_S, STAGES)


def provision(clients: Clients) -> dict[str, Any]:
    names = clients.names
    sqs = clients.sqs
    created: dict[str, Any] = {"queues": [], "table": names.jobs_table, "bucket": names.bucket}
    for stage in STAGES + CONSUMERS:
        # Encrypted at rest as terraform declares them (SQS-managed keys, no KMS grants needed).
        dlq_url = sqs.create_queue(QueueName=names.dlq(stage), Attributes={
            "MessageRetentionPeriod": str(QUEUE_RETENTION_S), "SqsManagedSseEnabled": "true"})["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        attrs = {"MessageRetentionPeriod": str(QUEUE_RETENTION_S), "VisibilityTimeout": str(QUEUE_VISIBILITY_S),
                 "SqsManagedSseEnabled": "true",
                 "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(MAX_RECEIVES)})}
        url = sqs.create_queue(QueueName=names.queue(stage))["QueueUrl"]
        sqs.set_queue_attributes(QueueUrl=url, Attributes=attrs)
        created["queues"].append(names.queue(stage))
    _create_table(clients)
    _create_bucket(clients)
    created["rule"] = _create_rule(clients)
    return created


def _create_table(clients: Clients) -> None:
    try:
        clients.dynamodb.create_table(
            TableName=clients.names.jobs_table,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk", "gsi1pk", "gsi1sk")],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            GlobalSecondaryIndexes=[{
                "IndexName": "by-kind",
                "KeySchema": [{"AttributeName": "gsi1pk", "KeyType": "HASH"},
                              {"AttributeName": "gsi1sk", "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "ALL"},
            }],
            SSESpecification={"Enabled": True},
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceInUseException":
            raise
    # As terraform does: the message ledger expires. Enabling twice is an error on AWS, so ask first.
    ttl = clients.dynamodb.describe_time_to_live(TableName=clients.names.jobs_table)["TimeToLiveDescription"]
    if ttl.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
        clients.dynamodb.update_time_to_live(TableName=clients.names.jobs_table, TimeToLiveSpecification={
            "Enabled": True, "AttributeName": LEDGER_TTL_ATTRIBUTE})


def _create_bucket(clients: Clients) -> None:
    s3, bucket = clients.s3, clients.names.bucket
    try:
        kwargs: dict[str, Any] = {"Bucket": bucket}
        if clients.config.region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": clients.config.region}
        s3.create_bucket(**kwargs)
    except ClientError as exc:
        if exc.response["Error"]["Code"] not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
            raise
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": True}]})


def labeling_event_pattern() -> dict[str, Any]:
    return {"detail-type": [LABELING_DETAIL_TYPE], "source": list(LABELING_SOURCES),
            "detail": {"LabelingJobStatus": list(LABELING_STATUSES)}}


def _create_rule(clients: Clients) -> str:
    names, sqs, events = clients.names, clients.sqs, clients.events
    url = sqs.get_queue_url(QueueName=names.events_queue)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    rule_arn = events.put_rule(Name=names.labeling_rule, EventPattern=json.dumps(labeling_event_pattern()),
                               State="ENABLED", Description="Labeling job state changes resume waiting jobs")["RuleArn"]
    events.put_targets(Rule=names.labeling_rule, Targets=[{"Id": "events-queue", "Arn": arn}])
    policy = {"Version": "2012-10-17", "Statement": [{
        "Sid": "labeling-events", "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
        "Action": "sqs:SendMessage", "Resource": arn, "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}}}]}
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
    return rule_arn
