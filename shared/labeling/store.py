"""Labeling jobs and the built-in labeler's work, in the one table (shared/table.py). Items:

- `labeling#<name>`, `job`                          the labeling job: which brandvis job waits on it
                                                    (the seed's task token), its labeler, its state
- `labeling#<name>`, `frame#<seq:04d>#<no:05d>`     one frame as a person left it (built-in labeler)

A frame saved is a frame done, boxes or none ("no brand here"): progress is saved frames over all
frames, and a session picks up where any earlier one stopped.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Iterable

from shared.models.dataset import Box
from shared.table import Table, now_iso

IN_PROGRESS, COMPLETED, FAILED, STOPPED = "InProgress", "Completed", "Failed", "Stopped"
ENDED = (COMPLETED, FAILED, STOPPED)


@dataclass
class LabelingJob:
    name: str
    job_id: str
    labeler: str
    kind: str
    status: str
    task_key: str
    frames: int  # frames to label
    created_at: str
    finished_at: str | None = None
    failure_reason: str | None = None

    @property
    def arn_name(self) -> str:
        return f"labeling-job/{self.name}"


@dataclass
class FrameLabel:
    """What a person left on one frame: boxes (object) or the frame's labels (concept)."""

    seq_no: int
    frame_no: int
    boxes: list[Box] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    source: str = "drawn"  # drawn | accepted | imported
    at: str = ""
    rejected: list[Box] = field(default_factory=list)  # model proposals the person deleted here: not proposed again

    def to_item(self) -> dict[str, Any]:
        return {"boxes": _boxes_out(self.boxes), "labels": list(self.labels), "source": self.source,
                "at": self.at or now_iso(), "rejected": _boxes_out(self.rejected)}

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> FrameLabel:
        _, seq, no = item["sk"].split("#")
        return cls(int(seq), int(no), _boxes_in(item.get("boxes", [])), list(item.get("labels", [])),
                   item.get("source", "drawn"), item.get("at", ""), _boxes_in(item.get("rejected", [])))


def _boxes_out(boxes: list[Box]) -> list[dict[str, Any]]:
    return [{"label": b.label, "left": float(b.left), "top": float(b.top), "width": float(b.width),
             "height": float(b.height)} for b in boxes]


def _boxes_in(items: list[dict[str, Any]]) -> list[Box]:
    return [Box(b["label"], float(b["left"]), float(b["top"]), float(b["width"]), float(b["height"])) for b in items]


def _frame_sk(seq_no: int, frame_no: int) -> str:
    return f"frame#{seq_no:04d}#{frame_no:05d}"


class LabelStore(Table):
    # -- the labeling job ----------------------------------------------------------------------
    def register(self, job: LabelingJob) -> bool:
        """Record which job waits on this labeling job; False if it was recorded already (a redelivery)."""
        return self.put_new({"pk": f"labeling#{job.name}", "sk": "job", "name": job.name, "job_id": job.job_id,
                             "labeler": job.labeler, "kind": job.kind, "status": job.status,
                             "task_key": job.task_key, "frames": job.frames, "created_at": job.created_at})

    def get(self, name: str) -> LabelingJob | None:
        item = self.get_item(name)
        if item is None:
            return None
        return LabelingJob(name=item["name"], job_id=item["job_id"], labeler=item["labeler"], kind=item["kind"],
                           status=item["status"], task_key=item["task_key"], frames=int(item["frames"]),
                           created_at=item["created_at"], finished_at=item.get("finished_at"),
                           failure_reason=item.get("failure_reason"))

    def get_item(self, name: str) -> dict[str, Any] | None:
        return super().get(f"labeling#{name}", "job")

    def end(self, name: str, status: str, reason: str | None = None) -> bool:
        """InProgress -> Completed | Failed | Stopped, once; False if it had ended already."""
        if status not in ENDED:
            raise ValueError(f"unknown end state {status!r}")
        values = {":s": status, ":now": now_iso(), ":run": IN_PROGRESS}
        expr = "SET #s = :s, finished_at = :now"
        if reason:
            values[":r"] = reason
            expr += ", failure_reason = :r"
        return self.update(f"labeling#{name}", "job", expr, values, {"#s": "status"}, condition="#s = :run") is not None

    # -- frames (built-in labeler) -------------------------------------------------------------
    def save_frame(self, name: str, frame: FrameLabel) -> None:
        item = frame.to_item()
        self.update(f"labeling#{name}", _frame_sk(frame.seq_no, frame.frame_no),
                    "SET boxes = :b, labels = :l, #src = :src, #at = :at, rejected = :r",
                    {":b": item["boxes"], ":l": item["labels"], ":src": item["source"], ":at": item["at"],
                     ":r": item["rejected"]}, {"#src": "source", "#at": "at"})

    def save_frames(self, name: str, frames: Iterable[FrameLabel]) -> int:
        """Many frames at once (an import): batches of 25."""
        requests = []
        for f in frames:
            requests.append({"PutRequest": {"Item": self._typed({"pk": f"labeling#{name}",
                                                                 "sk": _frame_sk(f.seq_no, f.frame_no),
                                                                 **f.to_item()})}})
        for i in range(0, len(requests), 25):
            batch = {self.table: requests[i:i + 25]}
            for attempt in range(10):
                batch = self.ddb.batch_write_item(RequestItems=batch).get("UnprocessedItems") or {}
                if not batch:
                    break
                time.sleep(min(2.0, 0.05 * 2 ** attempt))  # throttled: DynamoDB asks callers to back off
            else:
                raise RuntimeError(f"DynamoDB kept refusing to save the frames of {name}")
        return len(requests)

    @staticmethod
    def _typed(item: dict[str, Any]) -> dict[str, Any]:
        from shared.ddb import to_ddb

        return {k: to_ddb(v) for k, v in item.items()}

    def clear_frame(self, name: str, seq_no: int, frame_no: int) -> None:
        self.ddb.delete_item(TableName=self.table, Key=self.key(f"labeling#{name}", _frame_sk(seq_no, frame_no)))

    def frames(self, name: str) -> dict[tuple[int, int], FrameLabel]:
        return {(f.seq_no, f.frame_no): f for f in map(FrameLabel.from_item, self.query_prefix(f"labeling#{name}", "frame#"))}

    def progress(self, name: str, total: int) -> dict[str, Any]:
        """Frames done of total, and boxes (object) or frames (concept) per label."""
        done = self.frames(name)
        per_label: dict[str, int] = {}
        for f in done.values():
            for label in [b.label for b in f.boxes] + f.labels:
                per_label[label] = per_label.get(label, 0) + 1
        return {"done": len(done), "total": total, "per_label": per_label}


def job_labeling(store: LabelStore, outputs: dict[str, Any]) -> dict[str, Any] | None:
    """What a job's labeling stands at, for `brandvis status` and the job's page: its labeling job,
    labeler and state, and (built-in labeler) frames done of total and examples per label."""
    labeling = outputs.get("labeling")
    if not labeling:
        return None
    record = store.get(labeling["name"])
    out = {"name": labeling["name"], "labeler": labeling["labeler"], "total": labeling.get("frames", 0),
           "status": record.status if record else "unknown"}
    if labeling["labeler"] == "builtin":
        out.update(store.progress(labeling["name"], out["total"]))
    return out
