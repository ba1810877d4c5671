"""What a stage handler may use: storage, the media cache, model records, settings. No queues,
no counters."""

from __future__ import annotations

from dataclasses import dataclass

from shared.aws import Clients
from shared.config import Config
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

    @classmethod
    def create(cls, clients: Clients) -> StageContext:
        storage = Storage(clients.s3, clients.names.bucket)
        media = MediaCache(storage, clients.config.cache_dir, int(clients.config.cache_max_gb * 1e9))
        models = ModelStore(clients.dynamodb, clients.names.jobs_table)
        return cls(clients=clients, config=clients.config, storage=storage, media=media, models=models)
