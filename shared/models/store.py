"""Model versions: one record per (name, version) in the jobs table, artifacts in S3.

Items: pk `model#<name>`, sk `v#<000001>`; GSI `by-kind` (gsi1pk "model") lists them newest
first. A version carries its backend, type, labels, the manifest it was trained from, the
backend's handle, status, evaluation metrics and training time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from shared.ddb import from_item, to_ddb
from shared.jobs import now_iso


@dataclass
class ModelVersion:
    name: str
    version: int
    backend: str
    type: str
    status: str
    labels: list[str]
    manifest_key: str
    created_at: str
    job_id: str = ""
    handle: dict[str, Any] | None = None
    metrics: dict[str, Any] | None = None
    training_seconds: float | None = None
    error: str | None = None
    updated_at: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    deployment: str | None = None  # RUNNING, STARTING, STOPPING, STOPPED: where a started model is
    last_used: str | None = None  # last start-model or detect work (idle models are stopped)
    stopped_at: str | None = None
    stop_reason: str | None = None

    @property
    def prefix(self) -> str:
        return model_prefix(self.name, self.version)


def model_prefix(name: str, version: int) -> str:
    return f"models/{name}/v{version:06d}"


class ModelStore:
    def __init__(self, dynamodb: Any, table_name: str) -> None:
        self.ddb = dynamodb
        self.table = table_name

    def create_version(self, name: str, backend: str, type: str, labels: list[str], job_id: str,
                       counts: dict[str, int], manifest_key_for: Any) -> ModelVersion:
        """The next version number, claimed with a conditional put (two trainings never share one)."""
        for _ in range(20):
            latest = self.list_versions(name, limit=1)
            version = (latest[0].version + 1) if latest else 1
            at = now_iso()
            mv = ModelVersion(name=name, version=version, backend=backend, type=type, status="QUEUED", labels=labels,
                              manifest_key=manifest_key_for(version), created_at=at, updated_at=at, job_id=job_id,
                              counts=counts)
            item = {"pk": f"model#{name}", "sk": f"v#{version:06d}", "gsi1pk": "model", "gsi1sk": f"{at}#{name}#{version:06d}",
                    **{k: v for k, v in mv.__dict__.items() if v is not None}}
            try:
                self.ddb.put_item(TableName=self.table, Item={k: to_ddb(v) for k, v in item.items()},
                                  ConditionExpression="attribute_not_exists(pk)")
                return mv
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                    raise
        raise RuntimeError(f"could not claim a version number for model {name}")

    def update(self, name: str, version: int, **fields: Any) -> None:
        fields["updated_at"] = now_iso()
        names = {f"#f{i}": k for i, k in enumerate(fields)}
        values = {f":v{i}": to_ddb(v) for i, v in enumerate(fields.values())}
        expr = "SET " + ", ".join(f"#f{i} = :v{i}" for i in range(len(fields)))
        self.ddb.update_item(TableName=self.table, Key={"pk": {"S": f"model#{name}"}, "sk": {"S": f"v#{version:06d}"}},
                             UpdateExpression=expr, ExpressionAttributeNames=names, ExpressionAttributeValues=values)

    def get(self, name: str, version: int | None = None) -> ModelVersion | None:
        """A version, or the newest trained one when no version is given."""
        if version is not None:
            resp = self.ddb.get_item(TableName=self.table, ConsistentRead=True,
                                     Key={"pk": {"S": f"model#{name}"}, "sk": {"S": f"v#{version:06d}"}})
            return _version(from_item(resp["Item"])) if "Item" in resp else None
        trained = [v for v in self.list_versions(name) if v.status == "TRAINING_COMPLETED"]
        return trained[0] if trained else None

    def list_versions(self, name: str, limit: int = 100) -> list[ModelVersion]:
        resp = self.ddb.query(TableName=self.table, KeyConditionExpression="pk = :pk", ScanIndexForward=False,
                              ExpressionAttributeValues={":pk": {"S": f"model#{name}"}}, Limit=limit, ConsistentRead=True)
        return [_version(from_item(i)) for i in resp.get("Items", [])]

    def list_all(self, limit: int = 200) -> list[ModelVersion]:
        resp = self.ddb.query(TableName=self.table, IndexName="by-kind", KeyConditionExpression="gsi1pk = :k",
                              ExpressionAttributeValues={":k": {"S": "model"}}, ScanIndexForward=False, Limit=limit)
        return [_version(from_item(i)) for i in resp.get("Items", [])]


def _version(item: dict[str, Any]) -> ModelVersion:
    keys = ModelVersion.__dataclass_fields__
    return ModelVersion(**{k: v for k, v in item.items() if k in keys})
