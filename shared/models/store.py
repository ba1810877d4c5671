"""Model versions: one record per (name, version) in the jobs table, artifacts in S3.

Items: pk `model#<name>`, sk `v#<000001>`; GSI `by-kind` (gsi1pk "model") lists them newest
first. A version carries its backend, type, labels, the manifest it was trained from, the
backend's handle, status, evaluation metrics and training time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from itertools import islice

from shared.ddb import to_ddb
from shared.models.backend import QUEUED, TRAINING_COMPLETED
from shared.names import check_name
from shared.table import Table, now_iso


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
    words: dict[str, str] = field(default_factory=dict)  # label -> the words its mark reads as, set by the user
    texts: dict[str, Any] = field(default_factory=dict)  # label -> what it reads as (shared/models/text/match.py)
    base_version: int | None = None  # a version made from this one by changing `words` only (same head)

    @property
    def prefix(self) -> str:
        return model_prefix(self.name, self.version)


def model_prefix(name: str, version: int) -> str:
    return f"models/{check_name(name, 'model name')}/v{version:06d}"


class ModelStore(Table):
    def create_version(self, name: str, backend: str, type: str, labels: list[str], job_id: str,
                       counts: dict[str, int], manifest_key_for: Any, words: dict[str, str] | None = None,
                       base_version: int | None = None) -> ModelVersion:
        """The next version number, claimed with a conditional put (two trainings never share one)."""
        for _ in range(20):
            latest = self.list_versions(name, limit=1)
            version = (latest[0].version + 1) if latest else 1
            at = now_iso()
            mv = ModelVersion(name=name, version=version, backend=backend, type=type, status=QUEUED, labels=labels,
                              manifest_key=manifest_key_for(version), created_at=at, updated_at=at, job_id=job_id,
                              counts=counts, words=words or {}, base_version=base_version)
            item = {"pk": f"model#{name}", "sk": f"v#{version:06d}", "gsi1pk": "model",
                    "gsi1sk": f"{at}#{name}#{version:06d}", **{k: v for k, v in mv.__dict__.items() if v is not None}}
            if self.put_new(item):
                return mv
        raise RuntimeError(f"could not claim a version number for model {name}")

    def update_version(self, name: str, version: int, **fields: Any) -> None:
        fields["updated_at"] = now_iso()
        names = {f"#f{i}": k for i, k in enumerate(fields)}
        values = {f":v{i}": to_ddb(v) for i, v in enumerate(fields.values())}
        expr = "SET " + ", ".join(f"#f{i} = :v{i}" for i in range(len(fields)))
        self.ddb.update_item(TableName=self.table, Key=self.key(f"model#{name}", f"v#{version:06d}"),
                             UpdateExpression=expr, ExpressionAttributeNames=names, ExpressionAttributeValues=values)

    def get_version(self, name: str, version: int | None = None) -> ModelVersion | None:
        """A version, or the newest trained one when no version is given."""
        if version is not None:
            item = self.get(f"model#{name}", f"v#{version:06d}")
            return _version(item) if item else None
        trained = [v for v in self.list_versions(name) if v.status == TRAINING_COMPLETED]
        return trained[0] if trained else None

    def list_versions(self, name: str, limit: int = 100) -> list[ModelVersion]:
        items = self.query(KeyConditionExpression="pk = :pk", ScanIndexForward=False, ConsistentRead=True,
                           ExpressionAttributeValues={":pk": {"S": f"model#{name}"}})
        return [_version(i) for i in islice(items, limit)]

    def list_all(self, limit: int = 200) -> list[ModelVersion]:
        return [_version(i) for i in islice(self.query_kind("model"), limit)]


def _version(item: dict[str, Any]) -> ModelVersion:
    keys = ModelVersion.__dataclass_fields__
    return ModelVersion(**{k: v for k, v in item.items() if k in keys})
