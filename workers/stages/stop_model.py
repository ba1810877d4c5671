"""Stop model: stop a started model version, on request (a running Rekognition model bills by the
hour). The workers' idle stop does the same for models nobody needs (workers/middleware)."""

from __future__ import annotations

from shared.messages import StopModelMessage
from shared.models import lifecycle
from workers.context import StageContext
from workers.registry import Result, stage


@stage("stop-model", visibility_timeout=120, time_limit=600)
def stop_model(msg: StopModelMessage, ctx: StageContext) -> Result:
    ref = msg.model
    mv = lifecycle.trained_version(ctx.models, ref.name, ref.model_version)
    status = lifecycle.stop(ctx.models, ctx.backend(mv.backend), mv, "stopped on request")
    return Result(outputs={"model_status": status})
