"""The one place AWS clients are made. Everything else receives a `Clients` (or one client).

Clients are thread-safe; sessions are not, so one `Clients` is built per process and shared.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config as BotoConfig

from shared.config import Config
from shared.names import Names

#: Credentials the embedded stack accepts; never used against AWS.
LOCAL_CREDENTIALS = {"aws_access_key_id": "brandvis-local", "aws_secret_access_key": "brandvis-local"}


@dataclass
class Clients:
    s3: Any
    sqs: Any
    dynamodb: Any
    events: Any
    config: Config
    names: Names
    _extra: dict[str, Any] = field(default_factory=dict, repr=False)
    _session: Any = field(default=None, repr=False)

    def client(self, service: str) -> Any:
        """Clients the stages need only sometimes (sagemaker, rekognition), made on first use."""
        if service not in self._extra:
            self._extra[service] = _client(self._session, service, self.config)
        return self._extra[service]


def _boto_config(config: Config, max_attempts: int | None = None) -> BotoConfig:
    # The emulator answers 500 for APIs it lacks; boto3 would retry those 4 times.
    attempts = max_attempts or (2 if config.is_local else 5)
    return BotoConfig(
        region_name=config.region,
        retries={"max_attempts": attempts, "mode": "standard"},
        max_pool_connections=32,
        s3={"addressing_style": "path"} if config.is_local else {},
        connect_timeout=5,
        read_timeout=70,
    )


def _client(session: Any, service: str, config: Config, max_attempts: int | None = None) -> Any:
    kwargs: dict[str, Any] = {"config": _boto_config(config, max_attempts)}
    if config.endpoint:
        kwargs["endpoint_url"] = config.endpoint
    if config.is_local:
        kwargs.update(LOCAL_CREDENTIALS)
    return session.client(service, **kwargs)


def make_clients(config: Config, max_attempts: int | None = None) -> Clients:
    session = boto3.session.Session(region_name=config.region)
    return Clients(
        s3=_client(session, "s3", config, max_attempts),
        sqs=_client(session, "sqs", config, max_attempts),
        dynamodb=_client(session, "dynamodb", config, max_attempts),
        events=_client(session, "events", config, max_attempts),
        config=config,
        names=config.names,
        _session=session,
    )
