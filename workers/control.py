"""Control requests: what the dashboard and CLI ask of the system itself, carried out by a worker.

Moving dead letters back to their queue is the runtime's business (stages never touch queues),
so it is handled here, on the `control` queue, with the same middleware as any stage: the
request is a job that succeeds with how many messages moved, or fails with why.
"""

from __future__ import annotations

from shared.errors import JobError
from shared.messages import RedriveMessage
from shared.names import STAGES
from shared.queues import redrive as move_dead_letters
from workers.context import StageContext
from workers.registry import Result, stage


@stage("control", visibility_timeout=120, max_attempts=1)
def control(msg: RedriveMessage, ctx: StageContext) -> Result:
    if msg.target not in STAGES:
        raise JobError(f"unknown stage {msg.target!r}; stages are {', '.join(STAGES)}")
    return Result(outputs={"moved": move_dead_letters(ctx.clients, msg.target)})
