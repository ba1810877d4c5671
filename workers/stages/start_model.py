"""Start model: make the job's model version ready to detect (the seed's "start model" branch).

Runs beside probe and extract. The local backend loads the model in this worker; Rekognition
starts the project version (billed per inference-unit hour from here on) and the stage re-checks
with delayed messages until it is RUNNING, never sleeping in a worker. Detect messages that come
first wait the same way.
"""

from __future__ import annotations

from shared.errors import JobError, RetryLater
from shared.jobs import now_iso
from shared.messages import StartModelMessage
from shared.models.backend import FAILED, RUNNING, STOPPED, TRAINING_COMPLETED
from shared.models.store import ModelVersion
from workers.context import StageContext
from workers.registry import Result, stage

#: Between re-checks of a model that is starting elsewhere (Rekognition: minutes).
RECHECK_S = 30


def trained_version(ctx: StageContext, name: str, version: int) -> ModelVersion:
    """The model version a job names, or the job fails with what is wrong with it."""
    mv = ctx.models.get(name, version)
    if mv is None:
        raise JobError(f"model {name} version {version} does not exist")
    if mv.status != TRAINING_COMPLETED or not mv.handle:
        raise JobError(f"model {name} version {version} is not trained (status {mv.status})")
    return mv


def ensure_started(ctx: StageContext, mv: ModelVersion) -> str:
    """Start the version unless it is starting or running already; returns its status. Detect
    calls it too: a model stopped while its job waited (the idle stop) is started again."""
    assert mv.handle is not None
    backend = ctx.backend(mv.backend)
    status = backend.status(mv.handle)
    if status in (STOPPED, TRAINING_COMPLETED):
        status = backend.start(mv.handle, ctx.config.min_inference_units)
    ctx.models.update(mv.name, mv.version, deployment=status, last_used=now_iso())
    return status


@stage("start-model", visibility_timeout=120)
def start_model(msg: StartModelMessage, ctx: StageContext) -> Result:
    ref = msg.model
    status = ensure_started(ctx, trained_version(ctx, ref.name, ref.model_version))
    if status == RUNNING:
        return Result(facts={"model_status": RUNNING})
    if status == FAILED:
        raise JobError(f"model {ref.name} version {ref.model_version} failed to start")
    raise RetryLater(RECHECK_S, f"model {ref.name} version {ref.model_version} is {status.lower()}")
