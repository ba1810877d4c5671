"""The data folder: what the stack writes, and that a new stack reads it all back."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import urllib.request

import pytest

from shared.aws import make_clients
from shared.config import Config
from shared.counters import StageCounters
from shared.jobs import JobStore
from shared.stack.persist import DirtyFlags, Snapshotter
from shared.stack.provision import provision
from shared.stack.server import LocalStack, StackError, health
from shared.stack.wal import WriteAheadLog, read_entries, replay, segment_files
from shared.storage import Storage
from tests.conftest import ROOT, free_port, wait_for


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


# -- the write-ahead log -------------------------------------------------------------------------

def _add(clients, key: str, n: int = 1) -> None:
    clients.dynamodb.update_item(TableName=clients.names.jobs_table, Key={"pk": {"S": key}, "sk": {"S": "n"}},
                                 UpdateExpression="ADD n :n", ExpressionAttributeValues={":n": {"N": str(n)}})


def _counter(clients, key: str) -> int:
    item = clients.dynamodb.get_item(TableName=clients.names.jobs_table, Key={"pk": {"S": key}, "sk": {"S": "n"}})
    return int(item["Item"]["n"]["N"]) if "Item" in item else 0


def test_a_kill_9_right_after_acknowledged_writes_loses_none(tmp_path):
    # Given a stack process that never gets to snapshot (the log is all that keeps its writes)
    port, data = free_port(), tmp_path / "data"
    config = Config(stack_port=port, data_dir=data)
    cmd = [sys.executable, "-m", "cli.main", "stack", "up", "--port", str(port), "--data-dir", str(data)]
    env = {**os.environ, "BRANDVIS_SNAPSHOT_INTERVAL_S": "3600"}
    def start() -> subprocess.Popen:
        with open(tmp_path / "stack.log", "ab") as log:  # the child keeps its own copy of the file
            return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)

    stack = start()
    try:
        wait_for(lambda: (health(config.endpoint) or {}).get("ready"), 60, "the stack to start")
        clients = make_clients(config, max_attempts=1)
        storage = Storage(clients.s3, clients.names.bucket)
        store = JobStore(clients.dynamodb, clients.names.jobs_table)
        # When four threads write at once (items, counter increments, objects), a multipart upload
        # has a part uploaded, and the stack is killed with SIGKILL as soon as the last write is answered
        def write(i: int) -> None:
            for j in range(5):
                store.create_job(f"job-{i}-{j}", "analyze", {"n": j}, first_stage="probe")
                _add(clients, "counter")
                storage.put_bytes(f"media/{i}/{j}.bin", bytes([i, j]) * 1000)

        threads = [threading.Thread(target=write, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        upload = clients.s3.create_multipart_upload(Bucket=clients.names.bucket, Key="media/big.bin")
        part = clients.s3.upload_part(Bucket=clients.names.bucket, Key="media/big.bin", PartNumber=1,
                                      UploadId=upload["UploadId"], Body=b"part one")
        stack.send_signal(signal.SIGKILL)
        stack.wait(10)
        stack = start()
        wait_for(lambda: (health(config.endpoint) or {}).get("ready"), 60, "the stack to restart")
        # Then every acknowledged write is back, the counter counts each increment once,
        assert all(store.get_job(f"job-{i}-{j}").request == {"n": j} for i in range(4) for j in range(5))
        assert _counter(clients, "counter") == 20
        assert all(storage.get_bytes(f"media/{i}/{j}.bin") == bytes([i, j]) * 1000 for i in range(4) for j in range(5))
        # ...and the client finishes its upload with the id it was given before the crash
        clients.s3.complete_multipart_upload(
            Bucket=clients.names.bucket, Key="media/big.bin", UploadId=upload["UploadId"],
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
        assert storage.get_bytes("media/big.bin") == b"part one"
        replayed = wait_for(lambda: re.findall(r"replayed_writes=(\d+)", (tmp_path / "stack.log").read_text())[1:],
                            30, "the restarted stack to log what it replayed")  # logged just after it is ready
        assert int(replayed[0]) >= 4 * 5 * 3 + 2  # all of it came back from the log, none from a snapshot
    finally:
        stack.send_signal(signal.SIGTERM)
        try:
            stack.wait(30)
        except subprocess.TimeoutExpired:
            stack.kill()


def test_compaction_keeps_state_and_counters_count_once(clients, stack, tmp_path, monkeypatch):
    # Given the session stack logging its writes, with a snapshotter of our own
    wal = WriteAheadLog(tmp_path / "wal").open(0)
    monkeypatch.setattr(stack.app, "wal", wal)
    snap = Snapshotter(tmp_path, clients.config.region, stack.app.ddb_lock, stack.app.dirty, wal, compact_every_s=0)
    storage = Storage(clients.s3, clients.names.bucket)
    try:
        # When writes, snapshots (each compacting the log) and more writes alternate
        for _ in range(3):
            _add(clients, "c")
        storage.put_bytes("a.txt", b"first")
        snap.snapshot()
        _add(clients, "c", 10)
        storage.put_bytes("a.txt", b"second")
        storage.put_bytes("b.txt", b"b")
        snap.snapshot()
        segments_after_snapshot = [p.name for p in segment_files(wal.folder)]
        _add(clients, "c", 100)  # only in the log
        clients.s3.delete_object(Bucket=clients.names.bucket, Key="b.txt")
        wal.wait_durable(wal.last_seq)
    finally:
        monkeypatch.setattr(stack.app, "wal", None)
        wal.close()
    # Then the log holds only what the last snapshot does not cover
    assert len(segments_after_snapshot) <= 2
    assert min(e.seq for e in read_entries(wal.folder)) > snap.covered - 3
    # ...and loading snapshot + log into an emptied emulator gives back the state exactly
    urllib.request.urlopen(urllib.request.Request(clients.config.endpoint + "/moto-api/reset", method="POST"))
    provision(clients)
    fresh = Snapshotter(tmp_path, clients.config.region, threading.RLock(), DirtyFlags())
    fresh.restore()
    done = replay(wal.folder, stack.app.app, fresh.table_seqs, fresh.s3_from, fresh.rename_upload)
    assert done.entries >= 2
    assert _counter(clients, "c") == 113
    assert storage.get_bytes("a.txt") == b"second" and not storage.exists("b.txt")


def test_a_torn_last_record_ends_the_replay_of_its_segment(tmp_path):
    # Given a log with two entries, the second cut short by a crash mid-write
    wal = WriteAheadLog(tmp_path).open(0)
    for body in (b"one", b"two"):
        wal.wait_durable(wal.append("dynamodb", {"REQUEST_METHOD": "POST", "PATH_INFO": "/"}, body))
    wal.close()
    path = segment_files(tmp_path)[0]
    path.write_bytes(path.read_bytes()[:-2])
    # Then the intact entry is read and the torn one is not
    assert [e.body for e in read_entries(tmp_path)] == [b"one"]


def test_resume_announces_again_a_labeling_end_the_lost_queues_held(clients, store):
    from shared.labeling.store import COMPLETED, IN_PROGRESS, LabelingJob, LabelStore
    from shared.stack.resume import resume_unfinished

    # Given two jobs waiting on built-in labeling: one whose labels were finished (the end is in
    # the table, its event was on a queue the restart emptied), one still being labeled
    labels = LabelStore(clients.dynamodb, clients.names.jobs_table)
    for job_id, name in (("done-job", "lab-done"), ("open-job", "lab-open")):
        store.create_job(job_id, "train", {}, first_stage="label")
        store.mark_running(job_id)
        store.add_outputs(job_id, {"labeling": {"name": name, "labeler": "builtin", "frames": 1}})
        assert store.set_waiting(job_id, True)
        labels.register(LabelingJob(name, job_id, "builtin", "object", IN_PROGRESS, "t.json", 1, "2026-01-01"))
    assert labels.end("lab-done", COMPLETED)
    # When the stack's resume sweep runs
    resumed = resume_unfinished(clients)
    # Then only the ended one is announced again, on the events queue
    assert resumed.announced == 1
    url = clients.sqs.get_queue_url(QueueName=clients.names.events_queue)["QueueUrl"]
    bodies = [m["Body"] for m in clients.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])]
    assert len(bodies) == 1 and json.loads(bodies[0])["resources"][0].endswith("labeling-job/lab-done")
    assert json.loads(bodies[0])["detail"]["LabelingJobStatus"] == COMPLETED
