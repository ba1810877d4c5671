"""Requests that are one message long (start or stop a model, redrive a stage's dead letters):
the job ends with what its one stage reported."""

from __future__ import annotations

from typing import Any

from shared.jobs import Job
from workers.flows import Transition


def on_group_complete(job: Job, stage: str, storage_uri: Any) -> Transition:
    return Transition(finish={**job.request, **job.outputs})
