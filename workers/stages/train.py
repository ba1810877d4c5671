"""Train: a model version from its manifest (the seed's "start and wait custom labels" step).

The backend starts training once (the handle is recorded on the model version, so a redelivered
message does not start a second one). Rekognition then takes about an hour: the stage re-checks
with a delayed message (RetryLater) instead of a worker sleeping, like the seed's 15-minute waits.
The local backend trains within the call and is done at the first check.
"""

from __future__ import annotations

from shared.errors import JobError, RetryLater
from shared.messages import TrainMessage
from shared.models.backend import TRAINING_COMPLETED, TRAINING_IN_PROGRESS
from shared.models.lifecycle import TRAINING_RECHECK_S
from shared.models.manifest import parse_manifest
from workers.context import StageContext
from workers.registry import Result, stage


@stage("train", visibility_timeout=900, time_limit=3600)
def train(msg: TrainMessage, ctx: StageContext) -> Result:
    mv = ctx.models.get_version(msg.model, msg.model_version)
    if mv is None:
        raise JobError(f"model {msg.model} version {msg.model_version} does not exist")
    backend = ctx.backend(mv.backend)
    handle = mv.handle
    if handle is None:
        dataset = parse_manifest(ctx.storage.get_bytes(mv.manifest_key).decode(), kind=mv.type)
        ctx.models.update_version(msg.model, msg.model_version, status=TRAINING_IN_PROGRESS)
        handle = backend.train(msg.model, str(msg.model_version), dataset, mv.manifest_key, f"{mv.prefix}/output")
        ctx.models.update_version(msg.model, msg.model_version, handle=handle)
    state = backend.training_state(handle)
    if not state.done:
        raise RetryLater(TRAINING_RECHECK_S, f"training {state.status.lower()}")
    if state.failed:
        ctx.models.update_version(msg.model, msg.model_version, status=state.status, error=state.message)
        raise JobError(f"training failed: {state.message or state.status}")
    metrics = backend.evaluation(handle)
    seconds = handle.get("training_seconds")
    ctx.models.update_version(msg.model, msg.model_version, status=TRAINING_COMPLETED, metrics=metrics.to_dict(),
                              **({"training_seconds": seconds} if seconds is not None else {}))
    return Result(outputs={"model": msg.model, "version": msg.model_version, "f1": metrics.f1})
