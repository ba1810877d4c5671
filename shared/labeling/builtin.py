"""brandvis's own labeler: the frames wait in the table for a person (the dashboard's Label page,
or `brandvis label import`), and Finish does what Ground Truth does at the end of a job.

Finish writes Ground Truth's output (a `SeqLabel.json` per sequence with `detection-annotations`,
or one class line per image, and the output manifest) under the task's output prefix, marks the
labeling job Completed, and puts the same state-change event on EventBridge from its own source.
Each step can be repeated: a Finish cut short by a crash is finished by pressing it again.
"""

from __future__ import annotations

import json
from functools import cached_property
from typing import Any

from shared.jobs import JobStore
from shared.labeling import formats
from shared.labeling.labelers import LabelingError, state_change_event
from shared.labeling.store import COMPLETED, ENDED, STOPPED, FrameLabel, LabelingJob, LabelStore
from shared.labeling.task import LabelingTask
from shared.storage import Storage
from shared.table import now_iso


class BuiltinLabeler:
    name = "builtin"

    def __init__(self, clients: Any) -> None:
        self.clients = clients

    @cached_property
    def store(self) -> LabelStore:
        return LabelStore(self.clients.dynamodb, self.clients.names.jobs_table)

    @cached_property
    def storage(self) -> Storage:
        return Storage(self.clients.s3, self.clients.names.bucket)

    # -- the Labeler interface -----------------------------------------------------------------
    def start(self, task: LabelingTask) -> None:
        """Nothing to start: the registered task is the to-do list."""

    def failure_reason(self, name: str, status: str) -> str:
        job = self.store.get(name)
        if job is not None and job.failure_reason:
            return job.failure_reason
        return "stopped by user" if status == STOPPED else f"labeling ended {status}"

    # -- what people do ------------------------------------------------------------------------
    def task(self, name: str) -> LabelingTask:
        record = self.store.get(name)
        if record is None:
            raise LabelingError(f"no labeling job named {name}")
        return LabelingTask.model_validate(self.storage.get_json(record.task_key))

    def for_job(self, job_id: str) -> tuple[LabelingJob, LabelingTask]:
        """The labeling job a brandvis job waits on, or why there is none."""
        job = JobStore(self.clients.dynamodb, self.clients.names.jobs_table).get_job(job_id)
        if job is None:
            raise LabelingError(f"no job {job_id}")
        labeling = job.outputs.get("labeling")
        if not labeling:
            what = "is not a training job from media" if job.kind != "train" or not job.request.get("labeler") else \
                f"has no labeling job yet (status {job.status}: frames are still being extracted)"
            raise LabelingError(f"job {job_id} {what}")
        record = self.store.get(labeling["name"])
        if record is None:
            raise LabelingError(f"job {job_id}: labeling job {labeling['name']} is not recorded")
        return record, self.task(record.name)

    def open_for_work(self, record: LabelingJob) -> None:
        if record.labeler != self.name:
            raise LabelingError(f"labeling job {record.name} runs on Ground Truth: label it there (or train again "
                                f"with --labeler builtin)")
        if record.status in ENDED:
            raise LabelingError(f"labeling job {record.name} has ended ({record.status})")

    def finish(self, task: LabelingTask) -> str:
        """Write Ground Truth's output for what people labeled and announce it. Returns the output manifest URI."""
        record = self.store.get(task.name)
        if record is None:
            raise LabelingError(f"no labeling job named {task.name}")
        if record.labeler != self.name:
            raise LabelingError(f"labeling job {task.name} runs on Ground Truth: it finishes there")
        if record.status in ENDED and record.status != COMPLETED:
            raise LabelingError(f"labeling job {task.name} has ended ({record.status})")
        key = self.storage.key_of(formats.output_manifest_key(task.output_prefix, task.name))
        if record.status != COMPLETED:  # completed already: only the event may have been lost
            frames = self.store.frames(task.name)
            if task.kind == "concept":
                frames = {k: f for k, f in frames.items() if f.labels}
            if not frames:
                raise LabelingError(f"nothing is labeled in {task.name} yet: label some frames first")
            self.storage.put_bytes(key, self._output(task, frames).encode(), "application/jsonl")
            self.store.end(task.name, COMPLETED)
        self._announce(task.name, COMPLETED)
        return self.storage.uri(key)

    def stop(self, task: LabelingTask, reason: str = "stopped by user") -> None:
        """Give up: the waiting job fails with `reason` (as a stopped Ground Truth job does)."""
        if self.store.end(task.name, STOPPED, reason):
            self._announce(task.name, STOPPED)

    def _output(self, task: LabelingTask, frames: dict[tuple[int, int], FrameLabel]) -> str:
        created = now_iso().rstrip("Z")
        lines = []
        if task.kind == "object":
            for object_id, seq in enumerate(task.sequences):
                saved = [formats.FrameBoxes(no, seq.frames[no], frames[(seq.seq_no, no)].boxes)
                         for no in range(len(seq.frames)) if (seq.seq_no, no) in frames]
                if not saved:
                    continue  # nobody looked at this video: none of its frames is an example
                seq_key = self.storage.key_of(formats.seq_label_key(task.output_prefix, task.name, object_id))
                self.storage.put_json(seq_key, formats.seq_label(saved, task.labels))
                used = formats.class_map(task.labels, {b.label for f in saved for b in f.boxes})
                lines.append(formats.video_output_line(seq.uri, self.storage.uri(seq_key), used, task.name, created))
        else:
            for (seq_no, no), f in sorted(frames.items()):
                lines.append(formats.class_output_line(task.frame_uri(seq_no, no), task.labels, f.labels[0],
                                                       task.name, created))
        return "\n".join(json.dumps(line) for line in lines) + "\n"

    def _announce(self, name: str, status: str) -> None:
        account = self.clients.client("sts").get_caller_identity()["Account"]
        entry = state_change_event(name, status, self.clients.config.region, account)
        resp = self.clients.events.put_events(Entries=[entry])
        if resp.get("FailedEntryCount"):
            raise LabelingError(f"could not announce the end of {name}: {resp['Entries'][0].get('ErrorMessage')}")
