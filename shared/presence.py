"""When each worker was last seen, and what that means now. Items: `worker#<id>`, `worker`.

A worker writes a heartbeat every `HEARTBEAT_S`, "stopping" as soon as it is told to stop, and
"stopped" once it has drained. One whose heartbeat is older than `STALE_AFTER_S` is **stale**:
it died without a word, or its last words never reached the table. The local stack waits for
running workers to say they are stopping before it saves its state (`shared/stack/server.py`), so
a clean `make run`, Ctrl-C, `make run` does not leave them "running" forever.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from shared.table import Table, now_iso

HEARTBEAT_S = 10.0
STALE_AFTER_S = 3 * HEARTBEAT_S  # three missed heartbeats

RUNNING, STOPPING, STOPPED, STALE = "running", "stopping", "stopped", "stale"


@dataclass(frozen=True)
class WorkerSeen:
    worker_id: str
    host: str
    pid: int
    stages: list[str]
    started_at: str
    last_seen: str
    stopped: bool
    stopping: bool = False

    def age_s(self, now: datetime | None = None) -> float:
        seen = datetime.fromisoformat(self.last_seen.replace("Z", "+00:00"))
        return ((now or datetime.now(timezone.utc)) - seen).total_seconds()

    def state(self, now: datetime | None = None) -> str:
        """running | stopping | stopped | stale (no heartbeat for STALE_AFTER_S)."""
        if self.stopped:
            return STOPPED
        if self.age_s(now) > STALE_AFTER_S:
            return STALE
        return STOPPING if self.stopping else RUNNING


class WorkerPresence(Table):
    def seen(self, worker_id: str, host: str, pid: int, stages: list[str], started_at: str,
             stopped: bool = False, stopping: bool = False) -> None:
        at = now_iso()
        self.update(f"worker#{worker_id}", "worker",
                    "SET gsi1pk = :g, gsi1sk = :at, host = :h, pid = :p, stages = :st, started_at = :sa, "
                    "last_seen = :at, stopped = :stopped, stopping = :stopping",
                    {":g": "worker", ":at": at, ":h": host, ":p": pid, ":st": stages, ":sa": started_at,
                     ":stopped": stopped, ":stopping": stopping or stopped})

    def list_workers(self) -> list[WorkerSeen]:
        return [WorkerSeen(worker_id=i["pk"].split("#", 1)[1], host=i["host"], pid=i["pid"], stages=i["stages"],
                           started_at=i["started_at"], last_seen=i["last_seen"], stopped=i.get("stopped", False),
                           stopping=i.get("stopping", False))
                for i in self.query_kind("worker")]

    def running(self) -> list[WorkerSeen]:
        """Workers that still take messages: neither stopping, stopped nor stale."""
        now = datetime.now(timezone.utc)
        return [w for w in self.list_workers() if w.state(now) == RUNNING]
