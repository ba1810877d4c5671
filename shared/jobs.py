"""Jobs, their per-stage counters and their message ledger, in one DynamoDB table.

Items (pk, sk):
- `job#<id>`, `job`                      the job: kind, status, request, facts, result, error
- `job#<id>`, `stage#<stage>`            expected/done counts, done_ids, metrics (`m_*`), timing
- `job#<id>`, `msg#<stage>#<message_id>` every message ever sent for the job (the resume sweep
                                         re-sends those whose id is not in their stage's done_ids)
- `worker#<id>`, `worker`                when each worker was last seen
GSI `by-kind` (gsi1pk = "job" | "worker", gsi1sk = created/seen time) lists jobs and workers.

A child's completion is an `ADD done_ids :id` guarded by `NOT contains(done_ids, :id)`: a
duplicate delivery never counts twice, and exactly one message id brings `done` to `expected`.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable

from botocore.exceptions import ClientError

from shared.ddb import from_item, to_ddb

QUEUED, RUNNING, WAITING, SUCCEEDED, FAILED = "QUEUED", "RUNNING", "WAITING", "SUCCEEDED", "FAILED"
ACTIVE = (QUEUED, RUNNING, WAITING)
TERMINAL = (SUCCEEDED, FAILED)


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_job_id() -> str:
    """Sortable and short: `20261125-143005-3fa2c1`."""
    return time.strftime("%Y%m%d-%H%M%S", time.gmtime()) + "-" + uuid.uuid4().hex[:6]

@dataclass
class StageProgress:
    stage: str
    expected: int | None = None
    done: int = 0
    started_at: str | None = None
    finished_at: str | None = None
    metrics: dict[str, int] = field(default_factory=dict)
    last_error: str | None = None
    errors: int = 0
    done_ids: list[str] = field(default_factory=list)
    last_id: str | None = None
    triggered: bool = False

    @property
    def complete(self) -> bool:
        return self.expected is not None and self.done >= self.expected


@dataclass
class Job:
    job_id: str
    kind: str
    status: str
    request: dict[str, Any]
    created_at: str
    updated_at: str
    facts: dict[str, Any] = field(default_factory=dict)
    result: dict[str, Any] | None = None
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    finished_at: str | None = None
    stages: dict[str, StageProgress] = field(default_factory=dict)

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL


@dataclass(frozen=True)
class Completion:
    """What `record_done` saw: whether this call counted, and whether it finished the group."""

    counted: bool
    done: int
    expected: int | None
    last_id: str | None
    triggered: bool

    def completes_group(self, message_id: str) -> bool:
        # The id that brought done to expected (or a redelivery of it, after a crash between
        # counting and triggering) is the one that triggers the next stage.
        return (self.expected is not None and self.done >= self.expected
                and self.last_id == message_id and not self.triggered)


@dataclass(frozen=True)
class WorkerSeen:
    worker_id: str
    host: str
    pid: int
    stages: list[str]
    started_at: str
    last_seen: str
    stopped: bool


class JobStore:
    def __init__(self, dynamodb: Any, table_name: str) -> None:
        self.ddb = dynamodb
        self.table = table_name

    # -- helpers ---------------------------------------------------------------------------
    @staticmethod
    def _key(pk: str, sk: str) -> dict[str, Any]:
        return {"pk": {"S": pk}, "sk": {"S": sk}}

    def _update(self, pk: str, sk: str, expr: str, values: dict[str, Any] | None = None,
                names: dict[str, str] | None = None, condition: str | None = None,
                returns: str = "NONE") -> dict[str, Any] | None:
        kwargs: dict[str, Any] = {"TableName": self.table, "Key": self._key(pk, sk),
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

    def _query(self, **kwargs: Any) -> Iterable[dict[str, Any]]:
        kwargs.setdefault("TableName", self.table)
        while True:
            resp = self.ddb.query(**kwargs)
            for item in resp.get("Items", []):
                yield from_item(item)
            if "LastEvaluatedKey" not in resp:
                return
            kwargs["ExclusiveStartKey"] = resp["LastEvaluatedKey"]

    # -- jobs ------------------------------------------------------------------------------
    def create_job(self, job_id: str, kind: str, request: dict[str, Any],
                   first_stage: str, first_expected: int = 1) -> Job:
        at = now_iso()
        item = {"pk": f"job#{job_id}", "sk": "job", "gsi1pk": "job", "gsi1sk": f"{at}#{job_id}",
                "job_id": job_id, "kind": kind, "status": QUEUED, "request": request,
                "facts": {}, "warnings": [], "created_at": at, "updated_at": at}
        self.ddb.put_item(TableName=self.table, Item={k: to_ddb(v) for k, v in item.items()},
                          ConditionExpression="attribute_not_exists(pk)")
        self.set_expected(job_id, first_stage, first_expected)
        return Job(job_id=job_id, kind=kind, status=QUEUED, request=request, created_at=at, updated_at=at)

    def get_job(self, job_id: str) -> Job | None:
        items = list(self._query(KeyConditionExpression="pk = :pk",
                                 ExpressionAttributeValues={":pk": {"S": f"job#{job_id}"}},
                                 ConsistentRead=True))
        head = next((i for i in items if i["sk"] == "job"), None)
        if head is None:
            return None
        job = self._job_from(head)
        for item in items:
            if item["sk"].startswith("stage#"):
                progress = _stage_from(item)
                job.stages[progress.stage] = progress
        return job

    @staticmethod
    def _job_from(item: dict[str, Any]) -> Job:
        return Job(job_id=item["job_id"], kind=item["kind"], status=item["status"],
                   request=item.get("request", {}), created_at=item["created_at"],
                   updated_at=item.get("updated_at", item["created_at"]), facts=item.get("facts", {}),
                   result=item.get("result"), error=item.get("error"),
                   warnings=list(item.get("warnings", [])), finished_at=item.get("finished_at"))

    def job_status(self, job_id: str) -> str | None:
        resp = self.ddb.get_item(TableName=self.table, Key=self._key(f"job#{job_id}", "job"),
                                 ProjectionExpression="#s", ExpressionAttributeNames={"#s": "status"},
                                 ConsistentRead=True)
        item = resp.get("Item")
        return item["status"]["S"] if item else None

    def list_jobs(self, limit: int = 50, statuses: Iterable[str] | None = None) -> list[Job]:
        kwargs: dict[str, Any] = {"IndexName": "by-kind", "KeyConditionExpression": "gsi1pk = :k",
                                  "ExpressionAttributeValues": {":k": {"S": "job"}}, "ScanIndexForward": False}
        wanted = set(statuses or ())
        jobs = []
        for item in self._query(**kwargs):
            if wanted and item.get("status") not in wanted:
                continue
            jobs.append(self._job_from(item))
            if len(jobs) >= limit:
                break
        return jobs

    def mark_running(self, job_id: str) -> None:
        self._update(f"job#{job_id}", "job", "SET #s = :run, updated_at = :now",
                     {":run": RUNNING, ":q": QUEUED, ":now": now_iso()}, {"#s": "status"},
                     condition="#s = :q")

    def set_waiting(self, job_id: str, waiting: bool) -> None:
        old, new = (RUNNING, WAITING) if waiting else (WAITING, RUNNING)
        self._update(f"job#{job_id}", "job", "SET #s = :new, updated_at = :now",
                     {":new": new, ":old": old, ":now": now_iso()}, {"#s": "status"}, condition="#s = :old")

    def set_facts(self, job_id: str, facts: dict[str, Any]) -> None:
        if not facts:
            return
        names = {f"#f{i}": k for i, k in enumerate(facts)}
        values = {f":f{i}": v for i, v in enumerate(facts.values())}
        sets = ", ".join(f"facts.#f{i} = :f{i}" for i in range(len(facts)))
        self._update(f"job#{job_id}", "job", f"SET {sets}, updated_at = :now",
                     {**values, ":now": now_iso()}, {**names})

    def add_warnings(self, job_id: str, warnings: Iterable[str]) -> None:
        for text in warnings:
            self._update(f"job#{job_id}", "job", "SET warnings = list_append(warnings, :w)",
                         {":w": [text], ":one": text}, condition="NOT contains(warnings, :one)")

    def fail_job(self, job_id: str, reason: str) -> bool:
        """FAILED with a reason, unless it already ended. True if this call failed it."""
        at = now_iso()
        return self._update(f"job#{job_id}", "job",
                            "SET #s = :f, #e = :e, updated_at = :now, finished_at = :now",
                            {":f": FAILED, ":e": reason, ":now": at, ":a": QUEUED, ":b": RUNNING, ":c": WAITING},
                            {"#s": "status", "#e": "error"}, condition="#s IN (:a, :b, :c)") is not None

    def reopen_job(self, job_id: str) -> bool:
        """FAILED -> RUNNING, for an operator who redrives its dead-lettered messages. The old
        error stays on the record as `reopened_from` so the history is not lost."""
        return self._update(f"job#{job_id}", "job",
                            "SET #s = :run, reopened_from = #e, updated_at = :now REMOVE finished_at, #e",
                            {":run": RUNNING, ":f": FAILED, ":now": now_iso()},
                            {"#s": "status", "#e": "error"}, condition="#s = :f") is not None

    def succeed_job(self, job_id: str, result: dict[str, Any]) -> bool:
        at = now_iso()
        return self._update(f"job#{job_id}", "job",
                            "SET #s = :ok, #r = :r, updated_at = :now, finished_at = :now",
                            {":ok": SUCCEEDED, ":r": result, ":now": at, ":a": QUEUED, ":b": RUNNING, ":c": WAITING},
                            {"#s": "status", "#r": "result"}, condition="#s IN (:a, :b, :c)") is not None

    # -- stages ----------------------------------------------------------------------------
    def set_expected(self, job_id: str, stage: str, expected: int) -> None:
        self._update(f"job#{job_id}", f"stage#{stage}",
                     "SET expected = :n, stage_name = :s, done = if_not_exists(done, :zero)",
                     {":n": expected, ":s": stage, ":zero": 0})

    def mark_stage_started(self, job_id: str, stage: str) -> None:
        self._update(f"job#{job_id}", f"stage#{stage}",
                     "SET started_at = if_not_exists(started_at, :now), stage_name = :s",
                     {":now": now_iso(), ":s": stage})

    def record_done(self, job_id: str, stage: str, message_id: str,
                    metrics: dict[str, int] | None = None) -> Completion:
        metrics = metrics or {}
        adds = ["done :one", "done_ids :ids"] + [f"m_{k} :m{i}" for i, k in enumerate(metrics)]
        values: dict[str, Any] = {":one": 1, ":ids": {message_id}, ":id": message_id, ":s": stage}
        values.update({f":m{i}": int(v) for i, v in enumerate(metrics.values())})
        attrs = self._update(f"job#{job_id}", f"stage#{stage}",
                             "ADD " + ", ".join(adds) + " SET last_id = :id, stage_name = :s",
                             values, condition="NOT contains(done_ids, :id)", returns="ALL_NEW")
        counted = attrs is not None
        if attrs is None:
            attrs = self._get(f"job#{job_id}", f"stage#{stage}") or {}
        return Completion(counted=counted, done=int(attrs.get("done", 0)), expected=attrs.get("expected"),
                          last_id=attrs.get("last_id"), triggered=bool(attrs.get("triggered", False)))

    def mark_triggered(self, job_id: str, stage: str) -> None:
        self._update(f"job#{job_id}", f"stage#{stage}", "SET triggered = :t, finished_at = :now",
                     {":t": True, ":now": now_iso()})

    def record_error(self, job_id: str, stage: str, error: str) -> None:
        self._update(f"job#{job_id}", f"stage#{stage}", "SET last_error = :e, stage_name = :s ADD errors :one",
                     {":e": error, ":s": stage, ":one": 1})

    def _get(self, pk: str, sk: str) -> dict[str, Any] | None:
        resp = self.ddb.get_item(TableName=self.table, Key=self._key(pk, sk), ConsistentRead=True)
        return from_item(resp["Item"]) if "Item" in resp else None

    # -- message ledger --------------------------------------------------------------------
    def put_messages(self, job_id: str, messages: Iterable[tuple[str, str, str]]) -> None:
        """Record (stage, message_id, body) before sending, so a lost queue can be refilled."""
        requests = [{"PutRequest": {"Item": {
            "pk": {"S": f"job#{job_id}"}, "sk": {"S": f"msg#{stage}#{mid}"},
            "stage_name": {"S": stage}, "message_id": {"S": mid}, "body": {"S": body}}}}
            for stage, mid, body in messages]
        for i in range(0, len(requests), 25):
            batch = {self.table: requests[i:i + 25]}
            while batch:
                resp = self.ddb.batch_write_item(RequestItems=batch)
                batch = resp.get("UnprocessedItems") or {}

    def pending_messages(self, job_id: str) -> list[tuple[str, str]]:
        """(stage, body) of every message not yet counted done, plus any completed group whose
        trigger was lost (its last message is re-sent; it re-triggers, nothing double-counts)."""
        items = list(self._query(KeyConditionExpression="pk = :pk",
                                 ExpressionAttributeValues={":pk": {"S": f"job#{job_id}"}},
                                 ConsistentRead=True))
        stages = {i["stage_name"]: _stage_from(i) for i in items if i["sk"].startswith("stage#")}
        pending = []
        for item in items:
            if not item["sk"].startswith("msg#"):
                continue
            progress = stages.get(item["stage_name"])
            done_ids = set(progress.done_ids) if progress else set()
            if item["message_id"] not in done_ids:
                pending.append((item["stage_name"], item["body"]))
            elif progress and progress.complete and not progress.triggered and progress.last_id == item["message_id"]:
                pending.append((item["stage_name"], item["body"]))
        return pending

    # -- workers ---------------------------------------------------------------------------
    def worker_seen(self, worker_id: str, host: str, pid: int, stages: list[str], started_at: str,
                    stopped: bool = False) -> None:
        at = now_iso()
        self._update(f"worker#{worker_id}", "worker",
                     "SET gsi1pk = :g, gsi1sk = :at, host = :h, pid = :p, stages = :st, started_at = :sa, "
                     "last_seen = :at, stopped = :stopped",
                     {":g": "worker", ":at": at, ":h": host, ":p": pid, ":st": stages, ":sa": started_at,
                      ":stopped": stopped})

    def list_workers(self) -> list[WorkerSeen]:
        items = self._query(IndexName="by-kind", KeyConditionExpression="gsi1pk = :k",
                            ExpressionAttributeValues={":k": {"S": "worker"}}, ScanIndexForward=False)
        return [WorkerSeen(worker_id=i["pk"].split("#", 1)[1], host=i["host"], pid=i["pid"], stages=i["stages"],
                           started_at=i["started_at"], last_seen=i["last_seen"], stopped=i.get("stopped", False))
                for i in items]


def _stage_from(item: dict[str, Any]) -> StageProgress:
    return StageProgress(
        stage=item["stage_name"], expected=item.get("expected"), done=int(item.get("done", 0)),
        started_at=item.get("started_at"), finished_at=item.get("finished_at"),
        metrics={k[2:]: int(v) for k, v in item.items() if k.startswith("m_")},
        last_error=item.get("last_error"), errors=int(item.get("errors", 0)),
        done_ids=list(item.get("done_ids", [])), last_id=item.get("last_id"),
        triggered=bool(item.get("triggered", False)))
