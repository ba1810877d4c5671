"""Shared fixtures: one embedded stack (moto server over real HTTP) per test session, reset and
re-provisioned for every test; in-process workers; generated videos."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Never let a test reach real AWS, whatever the developer's environment holds.
for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
    os.environ.pop(var, None)
os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                   "AWS_DEFAULT_REGION": "us-east-1"})

from shared.aws import Clients  # noqa: E402
from shared.config import Config  # noqa: E402
from shared.counters import StageCounters  # noqa: E402
from shared.jobs import Job, JobStore  # noqa: E402
from shared.ledger import MessageLedger  # noqa: E402
from shared.stack.provision import provision  # noqa: E402
from shared.stack.server import LocalStack  # noqa: E402
from shared.storage import Storage  # noqa: E402
from tests import media_factory  # noqa: E402


@pytest.fixture(scope="session")
def base_config(tmp_path_factory: pytest.TempPathFactory) -> Config:
    root = tmp_path_factory.mktemp("brandvis")
    return Config(stack_port=0, data_dir=root / "data", cache_dir=root / "cache", poll_wait_s=1,
                  retry_backoff_s=0, snapshot_interval_s=0.1)


@pytest.fixture(scope="session")
def stack(base_config: Config) -> Iterator[LocalStack]:
    s = LocalStack(base_config, persist=False).start()
    yield s
    s.stop()


@pytest.fixture
def config(stack: LocalStack, base_config: Config) -> Config:
    return base_config.replace(endpoint_url=stack.endpoint)


@pytest.fixture
def clients(stack: LocalStack, config: Config) -> Clients:
    """A clean, provisioned emulator for each test."""
    req = urllib.request.Request(stack.endpoint + "/moto-api/reset", method="POST")
    urllib.request.urlopen(req).read()
    c = stack.clients(max_attempts=2)
    c.config = config
    provision(c)
    return c


@pytest.fixture
def store(clients: Clients) -> JobStore:
    return JobStore(clients.dynamodb, clients.names.jobs_table)


@pytest.fixture
def counters(clients: Clients) -> StageCounters:
    return StageCounters(clients.dynamodb, clients.names.jobs_table)


@pytest.fixture
def ledger(clients: Clients) -> MessageLedger:
    return MessageLedger(clients.dynamodb, clients.names.jobs_table)


@pytest.fixture
def storage(clients: Clients) -> Storage:
    return Storage(clients.s3, clients.names.bucket)


@pytest.fixture
def run_worker(clients: Clients) -> Iterator[Callable[..., Any]]:
    """Start in-process workers; all are stopped (gracefully) when the test ends."""
    from workers.worker import Worker

    started: list[Worker] = []

    def start(**kwargs: Any) -> Worker:
        w = Worker(kwargs.pop("clients", clients), **kwargs).start()
        started.append(w)
        return w

    yield start
    for w in started:
        if not w.stopped.is_set():
            w.stop()


@pytest.fixture
def replace_stage(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Any]:
    """Swap a stage's handler for this test (to inject failures); its policy stays unless given."""
    import dataclasses

    from workers import registry

    def replace(name: str, fn: Callable[..., Any], **policy: Any) -> registry.StageSpec:
        spec = registry.get_stage(name)
        monkeypatch.setitem(registry._REGISTRY, name, dataclasses.replace(spec, fn=fn, **policy))
        return spec

    return replace


def free_port() -> int:
    """A port nothing listens on now (for stacks and dashboards started by a test)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate: Callable[[], Any], timeout: float = 60.0, what: str = "condition") -> Any:
    """Poll until `predicate()` is truthy; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


def wait_for_job(store: JobStore, job_id: str, timeout: float = 90.0) -> Job:
    def finished() -> Job | None:
        job = store.get_job(job_id)
        return job if job is not None and job.finished else None

    return wait_for(finished, timeout, f"job {job_id} to finish")


@pytest.fixture(scope="session")
def videos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Generated once per session: the formats and quirks the media stages must handle."""
    d = tmp_path_factory.mktemp("videos")
    mf = media_factory
    return {
        "h264": mf.make_video(d / "h264.mp4", seconds=10, gop=48),
        "vp9": mf.make_video(d / "vp9.webm", seconds=6, gop=30, codec="libvpx-vp9"),
        "mjpeg": mf.make_video(d / "mjpeg.avi", seconds=3, codec="mjpeg"),
        "vfr": mf.make_video(d / "vfr.mkv", seconds=6, gop=24, vfr=True),
        "rotated": mf.make_video(d / "rotated.mp4", seconds=4, gop=24, rotate=90),
        "long": mf.make_video(d / "long.mp4", seconds=70, gop=48, size=(256, 144)),
        "with_audio": mf.make_video(d / "with_audio.mp4", seconds=4, gop=24, audio=True),
    }


@pytest.fixture(scope="session")
def bad_inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("bad")
    mf = media_factory
    (d / "empty.mp4").write_bytes(b"")
    (d / "notes.mp4").write_text("meeting notes, definitely not a video\n" * 20)
    return {
        "empty": d / "empty.mp4",
        "text": d / "notes.mp4",
        "image": mf.make_image_as_mp4(d / "photo.mp4"),
        "audio": mf.make_audio_only(d / "podcast.mp4"),
        "codec": mf.make_unknown_codec(d / "strange.avi"),
        "truncated_no_index": mf.make_truncated(d / "cut.mp4", keep=0.5, faststart=False),
        "truncated_partial": mf.make_truncated(d / "cut_faststart.mp4", keep=0.6, faststart=True),
    }


def dlq_bodies(clients: Clients, stage: str) -> list[dict[str, Any]]:
    url = clients.sqs.get_queue_url(QueueName=clients.names.dlq(stage))["QueueUrl"]
    resp = clients.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
    return [json.loads(m["Body"]) for m in resp.get("Messages", [])]


@contextlib.contextmanager
def env(**values: str) -> Iterator[None]:
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
