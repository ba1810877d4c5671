"""Stop models that bill while idle: a started Rekognition model costs about $4 per inference-unit
hour whether or not it detects anything (the seed leaves it running). Workers that serve the
start-model stage check every minute; a model with no detect or start work for
`model_idle_stop_s` is stopped. Local models cost nothing idle and are left alone.

This is a timer, not a poll for an event: Rekognition emits no "idle" event.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Callable

from shared.jobs import now_iso
from shared.models.backend import RUNNING, STARTING, Backend
from shared.models.store import ModelStore

log = logging.getLogger("brandvis.worker")


def _age_s(stamp: str, now: datetime) -> float:
    then = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    if then.tzinfo is None:
        then = then.replace(tzinfo=timezone.utc)
    return (now - then).total_seconds()


def stop_idle_models(models: ModelStore, backend: Callable[[str], Backend], idle_s: float,
                     now: datetime | None = None) -> list[tuple[str, int]]:
    """Stop every started non-local model unused for `idle_s`; returns which were stopped."""
    now = now or datetime.now(timezone.utc)
    stopped = []
    for mv in models.list_all():
        if mv.backend == "local" or mv.deployment not in (RUNNING, STARTING) or not mv.handle:
            continue
        idle = _age_s(mv.last_used or mv.updated_at, now)
        if idle < idle_s:
            continue
        status = backend(mv.backend).stop(mv.handle)
        models.update(mv.name, mv.version, deployment=status, stopped_at=now_iso(),
                      stop_reason=f"idle for {idle / 60:.0f} min (no detect work; BRANDVIS_MODEL_IDLE_STOP_S="
                                  f"{idle_s:g})")
        log.info("event=model-stopped model=%s version=%d idle_s=%.0f status=%s", mv.name, mv.version, idle, status)
        stopped.append((mv.name, mv.version))
    return stopped
