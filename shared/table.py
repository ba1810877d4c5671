"""The one DynamoDB table every record lives in, and the few calls the stores make on it.

Items are keyed (pk, sk); GSI `by-kind` (gsi1pk = "job" | "worker" | "model" | "campaign", gsi1sk = time)
lists records of one kind, newest first. The stores built on this (`jobs`, `counters`, `ledger`,
`presence`, `models.store`) each own one family of items:

- `job#<id>`, `job`                      the job (shared/jobs.py)
- `job#<id>`, `stage#<stage>`            its per-stage counters (shared/counters.py)
- `job#<id>`, `msg#<stage>#<message_id>` every message sent for it (shared/ledger.py)
- `worker#<id>`, `worker`                when each worker was last seen (shared/presence.py)
- `model#<name>`, `v#<000001>`           model versions (shared/models/store.py)
- `campaign#<name>`, `campaign` | `member#<job id>`   campaigns and their videos (shared/campaigns.py)
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timezone
from typing import Any, Iterable

from botocore.exceptions import ClientError

from shared.ddb import from_item, to_ddb


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_job_id() -> str:
    """Sortable and short: `20261125-143005-3fa2c1`."""
    return time.strftime("%Y%m%d-%H%M%S", time.gmtime()) + "-" + uuid.uuid4().hex[:6]


class Table:
    def __init__(self, dynamodb: Any, table_name: str) -> None:
        self.ddb = dynamodb
        self.table = table_name

    @staticmethod
    def key(pk: str, sk: str) -> dict[str, Any]:
        return {"pk": {"S": pk}, "sk": {"S": sk}}

    def update(self, pk: str, sk: str, expr: str, values: dict[str, Any] | None = None,
               names: dict[str, str] | None = None, condition: str | None = None,
               returns: str = "NONE") -> dict[str, Any] | None:
        """One UpdateItem; a failed condition is a return value (None), other errors propagate."""
        kwargs: dict[str, Any] = {"TableName": self.table, "Key": self.key(pk, sk),
                                  "UpdateExpression": expr, "ReturnValues": returns}
        if values:
            kwargs["ExpressionAttributeValues"] = {k: to_ddb(v) for k, v in values.items()}
        if names:
            kwargs["ExpressionAttributeNames"] = names
        if condition:
            kwargs["ConditionExpression"] = condition
        try:
            resp = self.ddb.update_item(**kwargs)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return None
            raise
        return from_item(resp.get("Attributes", {}))

    def put_new(self, item: dict[str, Any]) -> bool:
        """Put an item unless one with its key exists; False if it did."""
        try:
            self.ddb.put_item(TableName=self.table, Item={k: to_ddb(v) for k, v in item.items()},
                              ConditionExpression="attribute_not_exists(pk)")
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def get(self, pk: str, sk: str, projection: str | None = None,
            names: dict[str, str] | None = None) -> dict[str, Any] | None:
        kwargs: dict[str, Any] = {"TableName": self.table, "Key": self.key(pk, sk), "ConsistentRead": True}
        if projection:
            kwargs["ProjectionExpression"] = projection
        if names:
            kwargs["ExpressionAttributeNames"] = names
        resp = self.ddb.get_item(**kwargs)
        return from_item(resp["Item"]) if "Item" in resp else None

    def query(self, **kwargs: Any) -> Iterable[dict[str, Any]]:
        kwargs.setdefault("TableName", self.table)
        while True:
            resp = self.ddb.query(**kwargs)
            for item in resp.get("Items", []):
                yield from_item(item)
            if "LastEvaluatedKey" not in resp:
                return
            kwargs["ExclusiveStartKey"] = resp["LastEvaluatedKey"]

    def query_prefix(self, pk: str, sk_prefix: str) -> Iterable[dict[str, Any]]:
        """Every item of a partition whose sort key starts with `sk_prefix`."""
        return self.query(KeyConditionExpression="pk = :pk AND begins_with(sk, :p)", ConsistentRead=True,
                          ExpressionAttributeValues={":pk": {"S": pk}, ":p": {"S": sk_prefix}})

    def query_kind(self, kind: str) -> Iterable[dict[str, Any]]:
        """Records of one kind through GSI `by-kind`, newest first (read lazily: stop when you have enough)."""
        return self.query(IndexName="by-kind", KeyConditionExpression="gsi1pk = :k",
                          ExpressionAttributeValues={":k": {"S": kind}}, ScanIndexForward=False)
