"""Per-stage counters of a job: how many children a stage expects, which have completed.

A child's completion is an `ADD done_ids :id` guarded by `NOT contains(done_ids, :id)`: a
duplicate delivery never counts twice, and exactly one message id brings `done` to `expected`
(the chord of the fan-out). Items: `job#<id>`, `stage#<stage>` (shared/table.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shared.table import Table, now_iso


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

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> StageProgress:
        return cls(stage=item["stage_name"], expected=item.get("expected"), done=int(item.get("done", 0)),
                   started_at=item.get("started_at"), finished_at=item.get("finished_at"),
                   metrics={k[2:]: int(v) for k, v in item.items() if k.startswith("m_")},
                   last_error=item.get("last_error"), errors=int(item.get("errors", 0)),
                   done_ids=list(item.get("done_ids", [])), last_id=item.get("last_id"),
                   triggered=bool(item.get("triggered", False)))


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


class StageCounters(Table):
    def stages(self, job_id: str) -> dict[str, StageProgress]:
        return {p.stage: p for p in map(StageProgress.from_item, self.query_prefix(f"job#{job_id}", "stage#"))}

    def set_expected(self, job_id: str, stage: str, expected: int) -> None:
        self.update(f"job#{job_id}", f"stage#{stage}",
                    "SET expected = :n, stage_name = :s, done = if_not_exists(done, :zero)",
                    {":n": expected, ":s": stage, ":zero": 0})

    def mark_started(self, job_id: str, stage: str) -> None:
        self.update(f"job#{job_id}", f"stage#{stage}",
                    "SET started_at = if_not_exists(started_at, :now), stage_name = :s",
                    {":now": now_iso(), ":s": stage})

    def record_done(self, job_id: str, stage: str, message_id: str,
                    metrics: dict[str, int] | None = None) -> Completion:
        metrics = metrics or {}
        adds = ["done :one", "done_ids :ids"] + [f"m_{k} :m{i}" for i, k in enumerate(metrics)]
        values: dict[str, Any] = {":one": 1, ":ids": {message_id}, ":id": message_id, ":s": stage}
        values.update({f":m{i}": int(v) for i, v in enumerate(metrics.values())})
        attrs = self.update(f"job#{job_id}", f"stage#{stage}",
                            "ADD " + ", ".join(adds) + " SET last_id = :id, stage_name = :s",
                            values, condition="NOT contains(done_ids, :id)", returns="ALL_NEW")
        counted = attrs is not None
        if attrs is None:
            attrs = self.get(f"job#{job_id}", f"stage#{stage}") or {}
        return Completion(counted=counted, done=int(attrs.get("done", 0)), expected=attrs.get("expected"),
                          last_id=attrs.get("last_id"), triggered=bool(attrs.get("triggered", False)))

    def already_done(self, job_id: str, stage: str, message_id: str) -> bool:
        """Counted, and running it again cannot matter: everything a message does (outputs,
        children, expected counts) happens before it is counted, except the trigger of its group,
        so only the id that completed a group not yet triggered must run again."""
        item = self.get(f"job#{job_id}", f"stage#{stage}", projection="done_ids, done, expected, last_id, triggered")
        if not item or message_id not in item.get("done_ids", ()):
            return False
        expected = item.get("expected")
        complete = expected is not None and int(item.get("done", 0)) >= int(expected)
        return not (complete and not item.get("triggered") and item.get("last_id") == message_id)

    def mark_triggered(self, job_id: str, stage: str) -> None:
        self.update(f"job#{job_id}", f"stage#{stage}", "SET triggered = :t, finished_at = :now",
                    {":t": True, ":now": now_iso()})

    def record_error(self, job_id: str, stage: str, error: str) -> None:
        self.update(f"job#{job_id}", f"stage#{stage}", "SET last_error = :e, stage_name = :s ADD errors :one",
                    {":e": error, ":s": stage, ":one": 1})
