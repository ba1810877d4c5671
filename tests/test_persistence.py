"""The data folder: what the stack writes, and that a new stack reads it all back."""

from __future__ import annotations

import json
import threading
import urllib.request

import pytest

from shared.config import Config
from shared.counters import StageCounters
from shared.jobs import JobStore
from shared.stack.persist import DirtyFlags, Snapshotter
from shared.stack.provision import provision
from shared.stack.server import LocalStack, StackError
from shared.storage import Storage


def test_objects_items_and_metadata_survive_a_restart(clients, tmp_path):
    # moto's backends live in this process: a snapshotter of our own reads the session stack's.
    config = Config(stack_port=0, data_dir=tmp_path / "data", cache_dir=tmp_path / "cache")
    dirty = DirtyFlags()
    snap = Snapshotter(config.data_dir, config.region, threading.RLock(), dirty)
    storage = Storage(clients.s3, clients.names.bucket)
    store = JobStore(clients.dynamodb, clients.names.jobs_table)
    big = bytes(range(256)) * 40_000  # 10 MB: spills to disk inside moto
    storage.put_bytes("media/a/frame.jpg", b"\xff\xd8jpeg", "image/jpeg", {"t": "1.500000"})
    storage.put_bytes("media/a/big.bin", big)
    storage.put_bytes("media/a/gone.txt", b"temporary")
    store.create_job("job-1", "analyze", {"video": {"name": "x.mp4"}}, first_stage="probe")
    StageCounters(clients.dynamodb, clients.names.jobs_table).record_done("job-1", "probe", "probe:x", {"frames": 4})
    snap.snapshot(force=True)
    clients.s3.delete_object(Bucket=clients.names.bucket, Key="media/a/gone.txt")
    dirty.mark("s3")
    snap.snapshot()
    files = sorted(p.name for p in (config.data_dir / "s3" / clients.names.bucket / "objects").iterdir())
    assert files == ["media%2Fa%2Fbig.bin", "media%2Fa%2Fframe.jpg"]
    assert (config.data_dir / "dynamodb" / "brandvis-jobs.json").exists()

    # When everything in the emulator is wiped and the folder is loaded back
    urllib.request.urlopen(urllib.request.Request(clients.config.endpoint + "/moto-api/reset", method="POST"))
    provision(clients)
    counts = Snapshotter(config.data_dir, config.region, threading.RLock(), DirtyFlags()).restore()
    # Then objects (bytes, type, metadata) and items are back
    assert counts["objects"] == 2 and counts["items"] >= 2
    obj = clients.s3.get_object(Bucket=clients.names.bucket, Key="media/a/frame.jpg")
    assert obj["Body"].read() == b"\xff\xd8jpeg" and obj["ContentType"] == "image/jpeg"
    assert obj["Metadata"] == {"t": "1.500000"}
    assert storage.get_bytes("media/a/big.bin") == big
    assert not storage.exists("media/a/gone.txt")
    job = store.get_job("job-1")
    assert job.request == {"video": {"name": "x.mp4"}} and job.stages["probe"].metrics == {"frames": 4}


def test_only_one_stack_per_data_folder(tmp_path):
    config = Config(stack_port=0, data_dir=tmp_path / "data")
    first = LocalStack(config)
    first._lock_data_dir()
    try:
        with pytest.raises(StackError, match="another local stack is using"):
            LocalStack(config)._lock_data_dir()
    finally:
        first._unlock_data_dir()


def test_snapshot_files_are_plain_json(clients, tmp_path):
    store = JobStore(clients.dynamodb, clients.names.jobs_table)
    store.create_job("j", "analyze", {}, first_stage="probe")
    Snapshotter(tmp_path, "us-east-1", threading.RLock(), DirtyFlags()).snapshot(force=True)
    doc = json.loads((tmp_path / "dynamodb" / "brandvis-jobs.json").read_text())
    assert any(item["pk"] == {"S": "job#j"} for item in doc["items"])
