"""When each worker was last seen, for the Operations page. Items: `worker#<id>`, `worker`."""

from __future__ import annotations

from dataclasses import dataclass

from shared.table import Table, now_iso


@dataclass(frozen=True)
class WorkerSeen:
    worker_id: str
    host: str
    pid: int
    stages: list[str]
    started_at: str
    last_seen: str
    stopped: bool


class WorkerPresence(Table):
    def seen(self, worker_id: str, host: str, pid: int, stages: list[str], started_at: str,
             stopped: bool = False) -> None:
        at = now_iso()
        self.update(f"worker#{worker_id}", "worker",
                    "SET gsi1pk = :g, gsi1sk = :at, host = :h, pid = :p, stages = :st, started_at = :sa, "
                    "last_seen = :at, stopped = :stopped",
                    {":g": "worker", ":at": at, ":h": host, ":p": pid, ":st": stages, ":sa": started_at,
                     ":stopped": stopped})

    def list_workers(self) -> list[WorkerSeen]:
        return [WorkerSeen(worker_id=i["pk"].split("#", 1)[1], host=i["host"], pid=i["pid"], stages=i["stages"],
                           started_at=i["started_at"], last_seen=i["last_seen"], stopped=i.get("stopped", False))
                for i in self.query_kind("worker")]
