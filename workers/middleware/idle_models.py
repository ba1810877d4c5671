"""Stop models that bill while idle: a started Rekognition model costs about $4 per inference-unit
hour whether or not it detects anything (the seed leaves it running). Workers that serve the
start-model stage check every minute (shared/models/lifecycle.py decides which to stop)."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from shared.jobs import ACTIVE
from shared.models.lifecycle import models_in_use, stop_idle_models
from workers.middleware import Middleware

if TYPE_CHECKING:
    from workers.worker import Worker

log = logging.getLogger("brandvis.worker")

CHECK_EVERY_S = 60.0


class IdleModels(Middleware):
    def __init__(self, every_s: float = CHECK_EVERY_S) -> None:
        self.every_s = every_s

    def on_start(self, worker: Worker) -> None:
        if "start-model" in worker.stage_names:
            threading.Thread(target=self._run, args=(worker,), name="idle-models", daemon=True).start()

    def _run(self, worker: Worker) -> None:
        while not worker.stopping.wait(self.every_s):
            try:
                self.check(worker)
            except Exception as exc:  # a failed check is retried next minute; it must not kill the worker
                log.warning("event=idle-check-failed error=%s", exc)

    @staticmethod
    def check(worker: Worker) -> list[tuple[str, int]]:
        in_use = models_in_use(worker.jobs.list_jobs(limit=1000, statuses=ACTIVE))
        return stop_idle_models(worker.ctx.models, worker.ctx.backend, worker.config.model_idle_stop_s, in_use)
