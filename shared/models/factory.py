"""Which backend serves a model: made here from the process's clients, nowhere else."""

from __future__ import annotations

from urllib.parse import urlparse

import numpy as np

from shared.aws import Clients
from shared.models.backend import BACKENDS, Backend, BackendError
from shared.storage import Storage

def s3_key(uri: str, bucket: str) -> str:
    parsed = urlparse(uri)
    if parsed.scheme != "s3" or parsed.netloc != bucket:
        raise BackendError(f"{uri} is not in the data bucket {bucket}")
    return parsed.path.lstrip("/")


def load_image(storage: Storage, uri: str) -> np.ndarray:
    import cv2

    data = storage.get_bytes(s3_key(uri, storage.bucket))
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise BackendError(f"{uri} is not an image OpenCV can read")
    return image


def backend_for(name: str, clients: Clients, storage: Storage) -> Backend:
    if name == "local":
        from shared.models.local.backend import LocalBackend

        return LocalBackend(storage, lambda uri: load_image(storage, uri), tracks=clients.config.identity_tracks,
                            weighing=clients.config.text_weighing)
    if name == "rekognition":
        from shared.models.rekognition import RekognitionBackend

        return RekognitionBackend(clients.client("rekognition"), clients.s3, storage.bucket, clients.names.prefix,
                                  detect_concurrency=clients.config.detect_concurrency)
    raise BackendError(f"unknown backend {name!r}; backends: {', '.join(BACKENDS)}")
