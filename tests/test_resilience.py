"""Crashes and restarts with real processes: SIGKILL a worker mid-extract, SIGTERM one, and
kill -9 the local stack mid-job. Jobs must finish with nothing lost or counted twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from shared import layout
from shared.aws import make_clients
from shared.config import Config
from shared.jobs import SUCCEEDED, JobStore
from shared.messages import Sampling
from shared.submit import Submitter
from shared.stack.server import health
from shared.storage import Storage
from tests import media_factory
from tests.conftest import ROOT, free_port, wait_for, wait_for_job


@pytest.fixture(scope="module")
def slow_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Long enough at 10 fps that one extract message takes seconds, so we can kill mid-message."""
    return media_factory.make_video(tmp_path_factory.mktemp("slow") / "match.mp4", seconds=60, size=(960, 540),
                                    gop=48, bframes=False)


def cli(args: list[str], env: dict[str, str], log: Path, module: str = "cli.main") -> subprocess.Popen:
    out = open(log, "wb")
    return subprocess.Popen([sys.executable, "-m", module, *args], cwd=ROOT, env={**os.environ, **env},
                            stdout=out, stderr=subprocess.STDOUT)


def paused_worker(config: Config, tmp_path: Path, release: bool) -> tuple[subprocess.Popen, Path, Path]:
    """A worker process whose extract stops after 5 saved frames (tests/paused_worker.py): it
    creates `paused` there and goes on only once `release` exists (never, if not `release`)."""
    paused, go = tmp_path / "paused", tmp_path / "release"
    env = {**worker_env(config, tmp_path), "PAUSED_FILE": str(paused), "PAUSE_AFTER_FRAMES": "5",
           **({"RELEASE_FILE": str(go)} if release else {})}
    return cli(["worker", "--concurrency", "1"], env, tmp_path / "worker.log", "tests.paused_worker"), paused, go


def worker_env(config: Config, tmp_path: Path) -> dict[str, str]:
    return {"BRANDVIS_ENDPOINT_URL": config.endpoint or "", "BRANDVIS_CACHE_DIR": str(tmp_path / "worker-cache"),
            "BRANDVIS_POLL_WAIT_S": "1", "BRANDVIS_VISIBILITY_TIMEOUT_S": "3", "BRANDVIS_RETRY_BACKOFF_S": "0",
            "BRANDVIS_DATA_DIR": str(tmp_path / "unused-data")}


def test_worker_killed_mid_extract_the_job_still_finishes(clients, config, store, storage, run_worker,
                                                          slow_video, tmp_path):
    # Given a worker process paused inside the only extract message of a job (5 of 600 frames saved)
    proc, paused, _ = paused_worker(config, tmp_path, release=False)
    try:
        job = Submitter(clients).analyze(slow_video, Sampling.at_fps(10), segment_seconds=1000)
        wait_for(paused.exists, 120, "extract to save its first frames in the worker process")
        # When it is killed with SIGKILL in the middle of that message
        proc.kill()
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    vid = job.request["video"]["video_id"]
    assert store.get_job(job.job_id).stages["extract"].done == 0
    assert not storage.exists(layout.segment_index_key(vid, Sampling.at_fps(10), 0))  # the segment is unfinished
    # Then another worker picks the message up once its visibility lapses, and the job finishes
    run_worker(clients=make_clients(config.replace(visibility_timeout_s=3)), concurrency=1)
    done = wait_for_job(store, job.job_id, timeout=120)
    assert done.status == SUCCEEDED, done.error
    assert done.stages["extract"].done == 1 and done.result["frames"] == 600
    assert len(list(storage.list_keys(layout.frames_prefix(vid, Sampling.at_fps(10))))) == 600


def test_sigterm_finishes_the_current_message_then_stops(clients, config, store, run_worker, slow_video, tmp_path):
    # Given a worker process paused inside the only extract message of a job
    proc, paused, release = paused_worker(config, tmp_path, release=True)
    try:
        job = Submitter(clients).analyze(slow_video, Sampling.at_fps(10), segment_seconds=1000)
        wait_for(paused.exists, 120, "extract to save its first frames in the worker process")
        # When it gets SIGTERM while the message is in hand, and the message may then go on
        proc.send_signal(signal.SIGTERM)
        release.touch()
        code = proc.wait(120)
    finally:
        if proc.poll() is None:
            proc.kill()
    log = (tmp_path / "worker.log").read_text()
    # The message in hand was finished and counted (not abandoned), then the worker exited cleanly
    assert code == 0, log
    assert store.get_job(job.job_id).stages["extract"].done == 1
    assert "event=worker-stopped" in log and "Traceback" not in log
    # What it did not start (the sprites) is still queued for the next worker
    run_worker(concurrency=1)
    assert wait_for_job(store, job.job_id).status == SUCCEEDED



def test_local_stack_killed_and_restarted_mid_job_loses_nothing(videos, tmp_path, run_worker, replace_stage):
    # Given a local stack process with a data folder, and a worker using it
    port = free_port()
    data = tmp_path / "data"
    config = Config(stack_port=port, data_dir=data, cache_dir=tmp_path / "cache", poll_wait_s=1,
                    visibility_timeout_s=3, retry_backoff_s=0)
    stack_cmd = ["stack", "up", "--port", str(port), "--data-dir", str(data)]
    env = {"BRANDVIS_SNAPSHOT_INTERVAL_S": "0.2"}
    stack = cli(stack_cmd, env, tmp_path / "stack1.log")
    reached, release = threading.Event(), threading.Event()
    try:
        wait_for(lambda: (health(config.endpoint) or {}).get("ready"), 30, "the stack to start")
        clients = make_clients(config)
        store = JobStore(clients.dynamodb, clients.names.jobs_table)
        # (the next job's third extract message will wait, in the worker, until the stack is back)
        started: list[str] = []

        def extract_after_two(msg, ctx):
            if msg.job_id != earlier.job_id:
                started.append(msg.message_id)
                if len(started) == 3:
                    reached.set()
                    release.wait(120)
            return spec.fn(msg, ctx)

        spec = replace_stage("extract", extract_after_two)
        earlier = Submitter(clients).analyze(videos["h264"], Sampling.at_fps(1), segment_seconds=100)
        run_worker(clients=clients, concurrency=1)
        assert wait_for_job(store, earlier.job_id).status == SUCCEEDED
        job = Submitter(clients).analyze(videos["long"], Sampling.at_fps(2), segment_seconds=10)
        assert reached.wait(120), "the job's third extract message never started"
        assert store.get_job(job.job_id).stages["extract"].done == 2  # mid-job: 2 of 7 segments counted
        # When the stack is killed with SIGKILL mid-job and started again on the same data folder
        stack.kill()
        stack.wait(10)
        stack = cli(stack_cmd, env, tmp_path / "stack2.log")
        wait_for(lambda: (health(config.endpoint) or {}).get("ready"), 30, "the stack to restart")
        release.set()
        # Then the job finishes, every frame is there, and nothing was counted twice
        done = wait_for_job(store, job.job_id, timeout=120)
        assert done.status == SUCCEEDED, done.error
        extract = done.stages["extract"]
        assert extract.done == extract.expected == 7 and extract.metrics["frames"] == 140
        storage = Storage(clients.s3, clients.names.bucket)
        vid = job.request["video"]["video_id"]
        assert len(list(storage.list_keys(layout.frames_prefix(vid, Sampling.at_fps(2))))) == 140
        # ...and what was there before the kill came back: the earlier job and its outputs
        before = store.get_job(earlier.job_id)
        assert before.status == SUCCEEDED and storage.exists(layout.probe_key(before.request["video"]["video_id"]))
        assert "resumed_jobs=" in (tmp_path / "stack2.log").read_text()
    finally:
        release.set()  # a failed step must not leave the worker's handler waiting
        stack.send_signal(signal.SIGTERM)
        try:
            stack.wait(20)
        except subprocess.TimeoutExpired:
            stack.kill()
