"""Training: collect (labels -> training manifest) -> train -> done. The labeling stages of the
seed join in front of collect later."""

from __future__ import annotations

from typing import Any

from shared.jobs import Job
from workers.flows import Transition


def on_group_complete(job: Job, stage: str, storage_uri: Any) -> Transition:
    if stage == "train":
        req = job.request
        return Transition(finish={"model": req["model"], "version": req["version"], "backend": req["backend"],
                                  "type": req["type"], "f1": job.outputs.get("f1")})
    return Transition()
