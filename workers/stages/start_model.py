"""Start model: make the job's model version ready to detect (the seed's "start model" branch).

Runs beside probe and extract. The local backend loads the model in this worker; Rekognition
starts the project version (billed per inference-unit hour from here on) and the stage re-checks
with delayed messages until it is RUNNING, never sleeping in a worker. Detect messages that come
first wait the same way.
"""

from __future__ import annotations

from shared.errors import JobError, RetryLater
from shared.messages import StartModelMessage
from shared.models.backend import FAILED, RUNNING
from shared.models.lifecycle import START_RECHECK_S, ensure_started, trained_version
from workers.context import StageContext
from workers.registry import Result, stage


@stage("start-model", visibility_timeout=120, time_limit=600)
def start_model(msg: StartModelMessage, ctx: StageContext) -> Result:
    ref = msg.model
    mv = trained_version(ctx.models, ref.name, ref.model_version)
    status = ensure_started(ctx.models, ctx.backend(mv.backend), mv, ctx.config.min_inference_units)
    if status == RUNNING:
        return Result(outputs={"model_status": RUNNING})
    if status == FAILED:
        raise JobError(f"model {ref.name} version {ref.model_version} failed to start")
    raise RetryLater(START_RECHECK_S, f"model {ref.name} version {ref.model_version} is {status.lower()}",
                     max_wait_s=ctx.config.model_start_max_wait_s)
