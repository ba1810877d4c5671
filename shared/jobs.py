"""Jobs: what was asked for, where it stands, what came out. Items `job#<id>`, `job` (shared/table.py).

Status moves QUEUED -> RUNNING (-> WAITING -> RUNNING) -> SUCCEEDED | FAILED, each move a
conditional update, so two workers racing never move a job twice or out of an end state. The
worker runtime's JobStatus middleware is the only code that moves a running job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import islice
from typing import Any, Iterable

from shared.counters import StageCounters, StageProgress
from shared.messages import VideoFacts
from shared.table import Table, new_job_id, now_iso

__all__ = ["Job", "JobStore", "new_job_id", "now_iso", "QUEUED", "RUNNING", "WAITING", "SUCCEEDED", "FAILED",
           "ACTIVE", "TERMINAL"]

QUEUED, RUNNING, WAITING, SUCCEEDED, FAILED = "QUEUED", "RUNNING", "WAITING", "SUCCEEDED", "FAILED"
ACTIVE = (QUEUED, RUNNING, WAITING)
TERMINAL = (SUCCEEDED, FAILED)


@dataclass
class Job:
    job_id: str
    kind: str
    status: str
    request: dict[str, Any]
    created_at: str
    updated_at: str
    video: VideoFacts | None = None  # what probe learned (analysis jobs)
    outputs: dict[str, Any] = field(default_factory=dict)  # what other stages reported (a trained version's F1...)
    result: dict[str, Any] | None = None
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    finished_at: str | None = None
    stages: dict[str, StageProgress] = field(default_factory=dict)

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> Job:
        video = item.get("video")
        return cls(job_id=item["job_id"], kind=item["kind"], status=item["status"], request=item.get("request", {}),
                   created_at=item["created_at"], updated_at=item.get("updated_at", item["created_at"]),
                   video=VideoFacts.model_validate(video) if video else None, outputs=item.get("outputs", {}),
                   result=item.get("result"), error=item.get("error"), warnings=list(item.get("warnings", [])),
                   finished_at=item.get("finished_at"))


def ordered_counters(job: Job) -> list[str]:
    """The job's counters in workflow order; a stage counted per video (`extract@<id>`) once per video."""
    from shared.names import CONSUMERS, STAGES

    order = {s: i for i, s in enumerate(STAGES + CONSUMERS)}
    counters = [c for c in job.stages if c.partition("@")[0] in order]
    return sorted(counters, key=lambda c: (order[c.partition("@")[0]], c))


def counter_name(job: Job, counter: str) -> str:
    """`extract@<video id>` as `extract match.mp4`, for people."""
    stage, _, group = counter.partition("@")
    names = {v.get("video_id"): v.get("name") for v in job.request.get("videos") or []}
    return f"{stage} {names.get(group, group[:8])}" if group else stage


class JobStore(Table):
    def create_job(self, job_id: str, kind: str, request: dict[str, Any],
                   first_stage: str, first_expected: int = 1) -> Job:
        at = now_iso()
        item = {"pk": f"job#{job_id}", "sk": "job", "gsi1pk": "job", "gsi1sk": f"{at}#{job_id}",
                "job_id": job_id, "kind": kind, "status": QUEUED, "request": request,
                "outputs": {}, "warnings": [], "created_at": at, "updated_at": at}
        if not self.put_new(item):
            raise ValueError(f"job {job_id} exists already")
        StageCounters(self.ddb, self.table).set_expected(job_id, first_stage, first_expected)
        return Job(job_id=job_id, kind=kind, status=QUEUED, request=request, created_at=at, updated_at=at)

    def get_job(self, job_id: str) -> Job | None:
        """The job with its stage counters: two reads, whatever the number of messages it sent."""
        head = self.get(f"job#{job_id}", "job")
        if head is None:
            return None
        job = Job.from_item(head)
        job.stages = StageCounters(self.ddb, self.table).stages(job_id)
        return job

    def job_status(self, job_id: str) -> str | None:
        item = self.get(f"job#{job_id}", "job", projection="#s", names={"#s": "status"})
        return item["status"] if item else None

    def list_jobs(self, limit: int = 50, statuses: Iterable[str] | None = None) -> list[Job]:
        wanted = set(statuses or ())
        jobs = (Job.from_item(item) for item in self.query_kind("job"))
        return list(islice((j for j in jobs if not wanted or j.status in wanted), limit))

    # -- status moves (the runtime's JobStatus middleware; requests create jobs QUEUED) -----------
    def mark_running(self, job_id: str) -> None:
        self.update(f"job#{job_id}", "job", "SET #s = :run, updated_at = :now",
                    {":run": RUNNING, ":q": QUEUED, ":now": now_iso()}, {"#s": "status"}, condition="#s = :q")

    def set_waiting(self, job_id: str, waiting: bool) -> bool:
        """RUNNING -> WAITING while people label; WAITING -> RUNNING when they are done. The end of
        the wait is remembered (`resumed_at`), so a wait recorded late, after its own end, is not."""
        at = now_iso()
        if waiting:
            return self.update(f"job#{job_id}", "job", "SET #s = :new, updated_at = :now",
                               {":new": WAITING, ":old": RUNNING, ":now": at}, {"#s": "status"},
                               condition="#s = :old AND attribute_not_exists(resumed_at)") is not None
        self.update(f"job#{job_id}", "job", "SET resumed_at = if_not_exists(resumed_at, :now), updated_at = :now",
                    {":now": at, ":a": QUEUED, ":b": RUNNING, ":c": WAITING}, {"#s": "status"},
                    condition="#s IN (:a, :b, :c)")
        return self.update(f"job#{job_id}", "job", "SET #s = :new, updated_at = :now",
                           {":new": RUNNING, ":old": WAITING, ":now": at}, {"#s": "status"},
                           condition="#s = :old") is not None

    def fail_job(self, job_id: str, reason: str) -> bool:
        """FAILED with a reason, unless it already ended. True if this call failed it."""
        at = now_iso()
        return self.update(f"job#{job_id}", "job", "SET #s = :f, #e = :e, updated_at = :now, finished_at = :now",
                           {":f": FAILED, ":e": reason, ":now": at, ":a": QUEUED, ":b": RUNNING, ":c": WAITING},
                           {"#s": "status", "#e": "error"}, condition="#s IN (:a, :b, :c)") is not None

    def reopen_job(self, job_id: str) -> bool:
        """FAILED -> RUNNING, when an operator redrives its dead-lettered messages. The old error
        stays on the record as `reopened_from` so the history is not lost."""
        return self.update(f"job#{job_id}", "job",
                           "SET #s = :run, reopened_from = #e, updated_at = :now REMOVE finished_at, #e",
                           {":run": RUNNING, ":f": FAILED, ":now": now_iso()},
                           {"#s": "status", "#e": "error"}, condition="#s = :f") is not None

    def succeed_job(self, job_id: str, result: dict[str, Any]) -> bool:
        at = now_iso()
        return self.update(f"job#{job_id}", "job", "SET #s = :ok, #r = :r, updated_at = :now, finished_at = :now",
                           {":ok": SUCCEEDED, ":r": result, ":now": at, ":a": QUEUED, ":b": RUNNING, ":c": WAITING},
                           {"#s": "status", "#r": "result"}, condition="#s IN (:a, :b, :c)") is not None

    # -- what stages report --------------------------------------------------------------------
    def set_video(self, job_id: str, facts: VideoFacts) -> None:
        self.update(f"job#{job_id}", "job", "SET video = :v, updated_at = :now",
                    {":v": facts.model_dump(), ":now": now_iso()})

    def add_outputs(self, job_id: str, outputs: dict[str, Any]) -> None:
        if not outputs:
            return
        names = {f"#f{i}": k for i, k in enumerate(outputs)}
        values = {f":f{i}": v for i, v in enumerate(outputs.values())}
        sets = ", ".join(f"outputs.#f{i} = :f{i}" for i in range(len(outputs)))
        self.update(f"job#{job_id}", "job", f"SET {sets}, updated_at = :now", {**values, ":now": now_iso()}, names)

    def add_warnings(self, job_id: str, warnings: Iterable[str]) -> None:
        for text in warnings:
            self.update(f"job#{job_id}", "job", "SET warnings = list_append(warnings, :w)",
                        {":w": [text], ":one": text}, condition="NOT contains(warnings, :one)")
