"""A model version's life after training: which version a job uses, starting it, stopping it
when it bills for nothing. The stages (start-model, stop-model, detect, aggregate) and the
workers' idle stop share these; nothing else starts or stops a model.

Rekognition emits no event when a model is RUNNING or idle, so the waits here are re-checks by
delayed messages (`RetryLater`), and the idle stop is a timer, not a poll for an event.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Callable, Iterable

from shared.errors import JobError
from shared.jobs import ACTIVE, Job
from shared.models.backend import RUNNING, STARTING, STOPPED, TRAINING_COMPLETED, Backend
from shared.models.store import ModelStore, ModelVersion
from shared.table import now_iso

log = logging.getLogger("brandvis.models")

#: Between re-checks of a model that is starting elsewhere (Rekognition: minutes).
START_RECHECK_S = 30
#: Between re-checks of a training that runs elsewhere (Rekognition: about an hour).
TRAINING_RECHECK_S = 300


def trained_version(models: ModelStore, name: str, version: int) -> ModelVersion:
    """The model version a job names, or the job fails with what is wrong with it."""
    mv = models.get_version(name, version)
    if mv is None:
        raise JobError(f"model {name} version {version} does not exist")
    if mv.status != TRAINING_COMPLETED or not mv.handle:
        raise JobError(f"model {name} version {version} is not trained (status {mv.status})")
    return mv


def ensure_started(models: ModelStore, backend: Backend, mv: ModelVersion, min_inference_units: int) -> str:
    """Start the version unless it is starting or running already; returns its status."""
    assert mv.handle is not None
    status = backend.status(mv.handle)
    if status in (STOPPED, TRAINING_COMPLETED):
        status = backend.start(mv.handle, min_inference_units)
    models.update_version(mv.name, mv.version, deployment=status, last_used=now_iso())
    return status


def stop(models: ModelStore, backend: Backend, mv: ModelVersion, reason: str) -> str:
    assert mv.handle is not None
    status = backend.stop(mv.handle)
    models.update_version(mv.name, mv.version, deployment=status, stopped_at=now_iso(), stop_reason=reason)
    return status


def models_in_use(jobs: Iterable[Job]) -> set[tuple[str, int]]:
    """(name, version) of every model an unfinished analysis still needs."""
    used = set()
    for job in jobs:
        model = (job.request.get("detect") or {}).get("model")
        if job.status in ACTIVE and model:
            used.add((model["name"], int(model["model_version"])))
    return used


def _age_s(stamp: str, now: datetime) -> float:
    then = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    if then.tzinfo is None:
        then = then.replace(tzinfo=timezone.utc)
    return (now - then).total_seconds()


def stop_idle_models(models: ModelStore, backend: Callable[[str], Backend], idle_s: float,
                     in_use: set[tuple[str, int]], now: datetime | None = None) -> list[tuple[str, int]]:
    """Stop every started model that bills while idle (not local ones: they cost nothing) and has
    had no detect or start work for `idle_s`, unless an unfinished job still needs it (its detect
    messages may be waiting behind other work). Returns which were stopped."""
    now = now or datetime.now(timezone.utc)
    stopped = []
    for mv in models.list_all():
        if mv.backend == "local" or mv.deployment not in (RUNNING, STARTING) or not mv.handle:
            continue
        idle = _age_s(mv.last_used or mv.updated_at, now)
        if idle < idle_s or (mv.name, mv.version) in in_use:
            continue
        status = stop(models, backend(mv.backend), mv, f"idle for {idle / 60:.0f} min (no detect work; "
                                                        f"BRANDVIS_MODEL_IDLE_STOP_S={idle_s:g})")
        log.info("event=model-stopped model=%s version=%d idle_s=%.0f status=%s", mv.name, mv.version, idle, status)
        stopped.append((mv.name, mv.version))
    return stopped


def version_to_train(models: ModelStore, name: str, version: int) -> ModelVersion:
    """The version a training job was created for (the request records it before any work)."""
    mv = models.get_version(name, version)
    if mv is None:
        raise JobError(f"model {name} version {version} does not exist")
    return mv
