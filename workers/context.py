"""What a stage handler may use: storage, the media cache, model records, settings. No queues,
no counters."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from shared.aws import Clients
from shared.config import Config
from shared.labeling.labelers import Labeler, labeler_for
from shared.labeling.store import LabelStore
from shared.models.backend import Backend
from shared.models.factory import backend_for
from shared.models.store import ModelStore
from shared.storage import Storage
from workers.media_cache import MediaCache


@dataclass
class StageContext:
    clients: Clients
    config: Config
    storage: Storage
    media: MediaCache
    models: ModelStore
    labels: LabelStore
    _backends: dict[str, Backend] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def backend(self, name: str) -> Backend:
        """One backend per process and name: the local one keeps loaded models between messages."""
        with self._lock:
            if name not in self._backends:
                self._backends[name] = backend_for(name, self.clients, self.storage)
            return self._backends[name]

    def labeler(self, name: str) -> Labeler:
        return labeler_for(name, self.clients)

    @classmethod
    def create(cls, clients: Clients) -> StageContext:
        storage = Storage(clients.s3, clients.names.bucket)
        media = MediaCache(storage, clients.config.cache_dir, int(clients.config.cache_max_gb * 1e9))
        models = ModelStore(clients.dynamodb, clients.names.jobs_table)
        return cls(clients=clients, config=clients.config, storage=storage, media=media, models=models,
                   labels=LabelStore(clients.dynamodb, clients.names.jobs_table))
