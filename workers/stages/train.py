"""Train: a model version from its manifest (the seed's "start and wait custom labels" step).

The backend starts training once (the handle is recorded on the model version, so a redelivered
message does not start a second one). Rekognition then takes about an hour: the stage re-checks
with a delayed message (RetryLater) instead of a worker sleeping, like the seed's 15-minute waits.
The local backend trains within the call and is done at the first check. Two versions need no
images: a text-only model (brand names alone), and a version that only changes what some labels
read as (`base_version`: the same head, new words).
"""

from __future__ import annotations

from shared.errors import JobError, RetryLater
from shared.messages import TrainMessage
from shared.models.backend import TRAINING_COMPLETED, TRAINING_IN_PROGRESS, Metrics
from shared.models.dataset import Dataset
from shared.models.lifecycle import TRAINING_RECHECK_S, trained_version
from shared.models.manifest import parse_manifest
from workers.context import StageContext
from workers.registry import Result, stage


# Isolated: training holds every image, its features and the OCR models (~800 MiB at peak); in a
# child process all of it goes back to the OS when it ends, and the worker stays small.
@stage("train", visibility_timeout=900, time_limit=3600, isolate=True)
def train(msg: TrainMessage, ctx: StageContext) -> Result:
    mv = ctx.models.get_version(msg.model, msg.model_version)
    if mv is None:
        raise JobError(f"model {msg.model} version {msg.model_version} does not exist")
    backend = ctx.backend(mv.backend)
    handle = mv.handle
    if handle is None:
        ctx.models.update_version(msg.model, msg.model_version, status=TRAINING_IN_PROGRESS)
        output = f"{mv.prefix}/output"
        if mv.base_version is not None:
            base = trained_version(ctx.models, mv.name, mv.base_version)
            assert base.handle is not None
            handle = {**backend.retext(base.handle, mv.labels, mv.words, output),
                      "evaluation": {**(base.metrics or {}), "extra": {
                          **(base.metrics or {}).get("extra", {}),
                          "note": f"evaluated as version {base.version}, before its text was changed"}}}
        else:
            dataset = (Dataset("text", mv.labels, []) if mv.type == "text" else
                       parse_manifest(ctx.storage.get_bytes(mv.manifest_key).decode(), kind=mv.type))
            handle = backend.train(msg.model, str(msg.model_version), dataset, mv.manifest_key, output,
                                   words=mv.words)
        ctx.models.update_version(msg.model, msg.model_version, handle=handle, texts=handle.get("texts", {}))
    state = backend.training_state(handle)
    if not state.done:
        raise RetryLater(TRAINING_RECHECK_S, f"training {state.status.lower()}",
                         max_wait_s=ctx.config.training_max_wait_s)
    if state.failed:
        ctx.models.update_version(msg.model, msg.model_version, status=state.status, error=state.message)
        raise JobError(f"training failed: {state.message or state.status}")
    metrics = (Metrics.from_dict(handle["evaluation"]) if mv.base_version is not None
               else backend.evaluation(handle))
    seconds = handle.get("training_seconds")
    ctx.models.update_version(msg.model, msg.model_version, status=TRAINING_COMPLETED, metrics=metrics.to_dict(),
                              **({"training_seconds": seconds} if seconds is not None else {}))
    return Result(outputs={"model": msg.model, "version": msg.model_version, "f1": metrics.f1})
