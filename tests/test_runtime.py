"""The worker runtime against moto over HTTP: fan-out/fan-in, duplicates, retries, DLQ, bad input."""

from __future__ import annotations

import json

import pytest

from shared import layout
from shared.dispatch import Dispatcher, QueueUrls
from shared.errors import RetryLater
from shared.jobs import FAILED, SUCCEEDED
from shared.media import sprites
from shared.messages import ExtractMessage, Sampling
from shared.submit import Submitter
from tests.conftest import dlq_bodies, wait_for, wait_for_job
from workers import registry


class DuplicatingDispatcher(Dispatcher):
    """Every message goes on its queue twice: at-least-once delivery at its worst."""

    def send_bodies(self, bodies, delay_s=0):
        bodies = list(bodies)
        super().send_bodies(bodies + bodies, delay_s)


def test_analysis_runs_probe_extract_sprite_and_succeeds(clients, store, storage, run_worker, videos):
    # Given a worker for every implemented stage
    run_worker(concurrency=2)
    # When a 10 s video is analysed at 2 fps in 3 s segments
    job = Submitter(clients).analyze(videos["h264"], Sampling.at_fps(2), segment_seconds=3)
    done = wait_for_job(store, job.job_id)
    # Then every stage completed its group exactly, and the outputs are where the result says
    assert done.status == SUCCEEDED, done.error
    assert {s: (p.done, p.expected) for s, p in done.stages.items()} == {
        "probe": (1, 1), "extract": (3, 3), "sprite": (1, 1)}
    assert done.result["frames"] == 20 and done.stages["extract"].metrics["frames"] == 20
    vid = job.request["video"]["video_id"]
    sampling = Sampling.at_fps(2)
    frames = sorted(storage.list_keys(layout.frames_prefix(vid, sampling)))
    assert frames == [layout.frame_key(vid, sampling, f"{k:06d}") for k in range(20)]
    head = storage.head(frames[3])
    assert head["Metadata"]["t"] == "1.500000" and head["ContentType"] == "image/jpeg"
    probe = storage.get_json(layout.probe_key(vid))
    assert [f["coded_picture_number"] for f in probe["frames"]] == [0, 48, 96, 144, 192]
    vtt = storage.get_bytes(layout.thumbnails_vtt_key(vid, sampling)).decode()
    assert vtt.startswith("WEBVTT") and "00:00:08.000 --> 00:00:10.000\nsprite_0.jpg#xywh=640,0,160,90" in vtt
    assert storage.exists(layout.sprite_key(vid, sampling, 0))
    assert done.video.duration_s == 10 and done.warnings == []


def test_every_message_delivered_twice_still_counts_exactly(clients, store, ledger, storage, run_worker, videos):
    # Given a dispatcher that puts every message on its queue twice, for the job request too
    duplicating = DuplicatingDispatcher(clients.sqs, ledger, QueueUrls(clients.sqs, clients.names))
    run_worker(concurrency=3, dispatcher=duplicating)
    job = Submitter(clients).analyze(videos["long"], Sampling.at_fps(1), segment_seconds=10)
    duplicating.send_bodies(ledger.pending_messages(job.job_id))  # the probe request, twice more
    done = wait_for_job(store, job.job_id)
    # Then counters equal the number of distinct messages, and sums count each message once
    assert done.status == SUCCEEDED, done.error
    extract, sprite = done.stages["extract"], done.stages["sprite"]
    assert extract.done == extract.expected == len(set(extract.done_ids)) == len(done.video.segments) == 7
    assert extract.metrics["frames"] == 70 == done.result["frames"]
    assert sprite.done == sprite.expected == sprites.sheet_count(70.0) == 2
    assert sprite.metrics["tiles"] == 35
    vid = job.request["video"]["video_id"]
    assert len(list(storage.list_keys(layout.frames_prefix(vid, Sampling.at_fps(1))))) == 70


def test_poison_message_goes_to_the_dlq_after_three_receives_with_the_reason_on_the_job(
        clients, store, run_worker, videos, replace_stage):
    # Given an extract handler that always crashes
    calls = []

    def crash(msg, ctx):
        calls.append(msg.message_id)
        raise RuntimeError("decoder exploded")

    replace_stage("extract", crash)
    run_worker(concurrency=1)
    job = Submitter(clients).analyze(videos["h264"], Sampling.at_fps(1), segment_seconds=100)
    done = wait_for_job(store, job.job_id)
    # Then the job failed with the reason after exactly three attempts...
    assert done.status == FAILED
    assert done.error == "extract failed after 3 attempts: RuntimeError: decoder exploded"
    assert done.stages["extract"].errors == 3 and len(calls) == 3
    # ...and SQS moved the message to the extract DLQ
    dead = wait_for(lambda: dlq_bodies(clients, "extract"), 30, "the message in the DLQ")
    assert dead[0]["stage"] == "extract" and dead[0]["job_id"] == job.job_id


def test_undecodable_message_is_poison_too(clients, store, run_worker):
    store.create_job("jx", "analyze", {}, first_stage="probe")
    url = clients.sqs.get_queue_url(QueueName=clients.names.queue("probe"))["QueueUrl"]
    clients.sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"version": 1, "job_id": "jx", "stage": "probe"}))
    run_worker(stages=["probe"])
    done = wait_for_job(store, "jx")
    assert done.status == FAILED and done.error.startswith("probe failed after 3 attempts: invalid probe message")
    assert wait_for(lambda: dlq_bodies(clients, "probe"), 30, "the message in the DLQ")[0]["job_id"] == "jx"


def test_bad_input_fails_at_once_without_retries(clients, store, run_worker, bad_inputs):
    run_worker()
    job = Submitter(clients).analyze(bad_inputs["text"], Sampling.at_fps(2))
    done = wait_for_job(store, job.job_id)
    assert done.status == FAILED and done.error.startswith("not a media file: notes.mp4")
    assert done.stages["probe"].errors == 1
    assert dlq_bodies(clients, "probe") == []


def test_retry_later_waits_without_counting_towards_the_dlq(clients, store, run_worker, videos, replace_stage):
    # Given a sprite stage that is "not ready" five times (more than the DLQ limit) before working
    real = registry.get_stage("sprite")
    attempts = []

    def not_yet(msg, ctx):
        attempts.append(1)
        if len(attempts) <= 5:
            raise RetryLater(0, "model still starting")
        return real.fn(msg, ctx)

    replace_stage("sprite", not_yet)
    run_worker()
    job = Submitter(clients).analyze(videos["h264"], Sampling.at_fps(1), segment_seconds=100)
    done = wait_for_job(store, job.job_id)
    assert done.status == SUCCEEDED and len(attempts) == 6
    assert done.stages["sprite"].errors == 0 and dlq_bodies(clients, "sprite") == []


def test_waiting_is_bounded_the_job_fails_with_what_it_waited_for(clients, store, run_worker, videos, replace_stage):
    # Given a sprite stage that is never ready, with no time to wait beyond its first retry
    attempts = []

    def never(msg, ctx):
        attempts.append(msg.waiting_since)
        raise RetryLater(0, "model acme version 1 is starting", max_wait_s=0)

    replace_stage("sprite", never)
    run_worker()
    job = Submitter(clients).analyze(videos["h264"], Sampling.at_fps(1), segment_seconds=100)
    done = wait_for_job(store, job.job_id)
    # Then the copy it re-sent carried when the waiting began, and the next one failed the job with the reason
    assert len(attempts) == 2 and attempts[0] is None and attempts[1] is not None
    assert done.status == FAILED and done.error.startswith("model acme version 1 is starting: still waiting after ")
    assert done.error.endswith("(limit 0 s)") and dlq_bodies(clients, "sprite") == []


def test_each_bad_input_fails_its_own_job_and_other_jobs_go_on(clients, store, run_worker, bad_inputs, videos):
    run_worker(concurrency=2)
    requests = Submitter(clients)
    jobs = {case: requests.analyze(path, Sampling.at_fps(2), segment_seconds=3).job_id
            for case, path in bad_inputs.items()}
    good = requests.analyze(videos["vp9"], Sampling.at_fps(2), segment_seconds=3).job_id
    results = {case: wait_for_job(store, job_id) for case, job_id in jobs.items()}
    assert wait_for_job(store, good).status == SUCCEEDED
    expected = {
        "empty": "empty file: empty.mp4 is 0 bytes",
        "text": "not a media file: notes.mp4",
        "image": "not a video: photo.mp4 is a still image (PNG)",
        "audio": "no video stream in podcast.mp4",
        "codec": "unsupported video codec in strange.avi",
        "truncated_no_index": "truncated or damaged MP4: cut.mp4 has no index",
    }
    for case, message in expected.items():
        assert results[case].status == FAILED and results[case].error.startswith(message), case
        assert "Traceback" not in results[case].error
    partial = results["truncated_partial"]
    assert partial.status == SUCCEEDED
    assert partial.warnings and partial.warnings[0].startswith("truncated: decoding stopped at ")
    assert partial.warnings[0].endswith(" s of 10.0 s")
    assert 0 < partial.result["frames"] < 20


def test_messages_of_a_failed_job_are_skipped(clients, store, run_worker, videos, replace_stage):
    # Given a job that has already failed, with an extract message still queued
    job = Submitter(clients).analyze(videos["h264"], Sampling.at_fps(1))
    store.fail_job(job.job_id, "cancelled by test")
    calls = []
    replace_stage("probe", lambda m, c: calls.append(m))
    run_worker(stages=["probe"])
    url = clients.sqs.get_queue_url(QueueName=clients.names.queue("probe"))["QueueUrl"]
    wait_for(lambda: clients.sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"] == {"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "0"},
        30, "the probe message to be consumed")
    # Then the handler never ran and the message is gone (not retried, not dead)
    assert calls == [] and dlq_bodies(clients, "probe") == []


def test_message_models_reject_unknown_versions_and_fields():
    from shared.errors import MessageDecodeError
    from shared.messages import decode

    body = ExtractMessage.model_json_schema()  # the schema is generated from the one module
    assert "segment" in body["properties"]
    with pytest.raises(MessageDecodeError, match="unsupported message version 2"):
        decode(json.dumps({"version": 2, "stage": "probe", "job_id": "j", "message_id": "m"}))
    with pytest.raises(MessageDecodeError, match="not JSON"):
        decode("{nope")
    with pytest.raises(MessageDecodeError, match="invalid probe message"):
        decode(json.dumps({"version": 1, "stage": "probe", "job_id": "j", "message_id": "m", "extra": 1}))


def test_heartbeat_keeps_a_long_message_invisible_past_its_timeout(clients, config, store, run_worker, videos,
                                                                  replace_stage):
    # Given a 1 s visibility timeout and a probe that runs until the test lets it finish
    import threading

    from shared.aws import make_clients

    started, release, runs = threading.Event(), threading.Event(), []
    real = registry.get_stage("probe")

    def long_probe(msg, ctx):
        runs.append(msg.message_id)
        started.set()
        release.wait(30)
        return real.fn(msg, ctx)

    replace_stage("probe", long_probe)
    try:
        worker = run_worker(clients=make_clients(config.replace(visibility_timeout_s=1)), concurrency=2)
        job = Submitter(clients).analyze(videos["h264"], Sampling.at_fps(1), segment_seconds=100)
        assert started.wait(30)
        (held,) = [d for d in worker.in_flight() if d.stage == "probe"]
        first = held.deadline
        # When the heartbeat has pushed its visibility four timeouts past where it first ran out
        wait_for(lambda: held.deadline >= first + 4, 60, "the heartbeat to extend the probe four timeouts on")
        # Then it was never delivered again (a free slot would have run it), and is not visible now
        assert len(runs) == 1
        url = clients.sqs.get_queue_url(QueueName=clients.names.queue("probe"))["QueueUrl"]
        attrs = clients.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
        assert attrs["Attributes"]["ApproximateNumberOfMessages"] == "0"
        release.set()
        done = wait_for_job(store, job.job_id)
    finally:
        release.set()
    # Then it ran once, and the job finished normally
    assert runs == [f"probe:{job.request['video']['video_id']}"] and done.status == SUCCEEDED


def test_an_attempt_past_its_time_limit_is_abandoned_retried_then_dead_lettered(clients, store, run_worker, videos,
                                                                                replace_stage):
    # Given a probe that hangs (until the test ends) and a 2 s time limit
    import threading

    hang, attempts = threading.Event(), []

    def hung(msg, ctx):
        attempts.append(1)
        hang.wait(60)

    replace_stage("probe", hung, time_limit=2)
    try:
        run_worker(stages=["probe"], concurrency=1)
        job = Submitter(clients).analyze(videos["h264"], Sampling.at_fps(1))
        done = wait_for_job(store, job.job_id, timeout=60)
        # Then each attempt was cut off (the one slot was freed each time), and the job says why
        assert done.status == FAILED and len(attempts) == 3
        assert done.error == "probe failed after 3 attempts: TimeLimitExceeded: probe ran past its time limit of 2 s"
        assert wait_for(lambda: dlq_bodies(clients, "probe"), 30, "the message in the DLQ")[0]["job_id"] == job.job_id
    finally:
        hang.set()


def test_a_stage_with_one_attempt_is_dead_lettered_by_the_runtime(clients, store, run_worker, videos, replace_stage):
    def crash(msg, ctx):
        raise RuntimeError("no second chance")

    replace_stage("probe", crash, max_attempts=1)
    run_worker(stages=["probe"])
    job = Submitter(clients).analyze(videos["h264"], Sampling.at_fps(1))
    done = wait_for_job(store, job.job_id)
    assert done.error == "probe failed after 1 attempts: RuntimeError: no second chance"
    assert done.stages["probe"].errors == 1
    assert wait_for(lambda: dlq_bodies(clients, "probe"), 30, "the message in the DLQ")[0]["job_id"] == job.job_id


def test_stage_policy_is_checked_where_it_is_declared():
    from workers.registry import stage

    with pytest.raises(ValueError, match="unknown stage 'nope'"):
        stage("nope")
    with pytest.raises(ValueError, match="max_attempts must be 1..3"):
        stage("probe", max_attempts=5)
    with pytest.raises(ValueError, match="time_limit 10 s is shorter than its visibility timeout"):
        stage("probe", visibility_timeout=60, time_limit=10)


# -- presence: a clean stop survives a restart of the local stack ---------------------------------
def test_workers_stopped_with_the_stack_are_stopped_after_a_restart(tmp_path):
    """`make run`, Ctrl-C, `make run`: honcho sends the stack and the worker SIGTERM at once. The
    worker's "stopped" must reach the stack before it saves its state, or the Operations page shows
    a worker "running" forever."""
    import os
    import signal
    import subprocess
    import sys

    from shared.config import Config
    from shared.presence import WorkerPresence
    from shared.stack.server import LocalStack
    from tests.conftest import ROOT, free_port

    # Given a local stack and a worker in their own processes, as the Procfile starts them (default poll wait)
    port = free_port()
    env = {**os.environ, "BRANDVIS_STACK_PORT": str(port), "BRANDVIS_DATA_DIR": str(tmp_path / "data"),
           "BRANDVIS_CACHE_DIR": str(tmp_path / "cache"), "BRANDVIS_DECODE_THREADS": "1"}
    env.pop("BRANDVIS_ENDPOINT_URL", None)
    env.pop("BRANDVIS_POLL_WAIT_S", None)
    logs = {name: open(tmp_path / f"{name}.log", "wb") for name in ("stack", "worker")}
    procs = {name: subprocess.Popen([sys.executable, "-m", "cli.main", *args], cwd=ROOT, env=env, stdout=logs[name],
                                    stderr=subprocess.STDOUT)
             for name, args in (("stack", ["stack", "up"]), ("worker", ["worker", "--concurrency", "2"]))}
    config = Config(stack_port=port, data_dir=tmp_path / "data")
    try:
        from shared.aws import make_clients
        from shared.stack.server import wait_until_ready

        wait_until_ready(config, timeout_s=120)
        clients = make_clients(config)
        presence = WorkerPresence(clients.dynamodb, clients.names.jobs_table)
        wait_for(lambda: [w.state() for w in presence.list_workers()] == ["running"], 120, "the worker's heartbeat")

        # When both get SIGTERM at the same moment, as honcho sends it on Ctrl-C
        for p in procs.values():
            p.send_signal(signal.SIGTERM)
        # (a bound, not a pace: the stack answers the worker's last long polls, up to the poll wait,
        # before it saves; on 2 cores shared with the other test process that has taken over 30 s)
        codes = {name: p.wait(90) for name, p in procs.items()}
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.kill()
        for f in logs.values():
            f.close()
    assert codes == {"stack": 0, "worker": 0}, {n: (tmp_path / f"{n}.log").read_text()[-2000:] for n in logs}

    # Then, after a restart from the same data folder, the worker is recorded as stopped
    with LocalStack(config.replace(stack_port=0), persist=True) as stack:
        c = stack.clients()
        seen = WorkerPresence(c.dynamodb, c.names.jobs_table).list_workers()
    assert seen and {(w.stopped, w.state()) for w in seen} == {(True, "stopped")}  # none left "running"


def test_json_logs_carry_the_message_context_as_fields(capsys):
    import json
    import logging

    from workers.middleware.log_context import configure_logging, current

    # Given JSON logging (BRANDVIS_LOG_FORMAT=json, as the ECS tasks run) and a message being processed
    configure_logging("INFO", "json")
    try:
        token = current.set({"job": "j1", "stage": "detect", "message": "m1"})
        logging.getLogger("brandvis.worker").info("event=%s ms=%d", "done", 12)
        current.reset(token)
    finally:
        configure_logging("INFO")
    # Then each line is one JSON object whose fields are the context and the message
    (line,) = [x for x in capsys.readouterr().err.splitlines() if x.strip()]
    doc = json.loads(line)
    assert (doc["job"], doc["stage"], doc["message_id"], doc["message"], doc["level"]) == (
        "j1", "detect", "m1", "event=done ms=12", "INFO")


def test_an_isolated_attempt_that_dies_without_an_answer_fails_with_its_last_words(config):
    from workers.isolated import IsolatedCrash, run_isolated

    # Given a child that cannot even find its stage (it ends before it can answer)
    # When the attempt runs isolated, Then it fails naming the child's exit and its last stderr line
    with pytest.raises(IsolatedCrash, match=r"nosuch's process ended with code 1 and no answer: .*no handler for stage 'nosuch'"):
        run_isolated("nosuch", "{}", config, time_limit_s=120)


def test_detections_are_cached_per_exact_floor():
    from pydantic import ValidationError

    from shared.messages import Detecting, ModelRef

    ref = ModelRef(name="logos", model_version=1, backend="local")
    # Jobs made before the floor existed kept detections from their threshold: one folder per exact threshold
    slugs = {Detecting(model=ref, min_confidence=c).slug for c in (0.495, 0.5, 0.5000001, 0.5)}
    assert len(slugs) == 3 and Detecting(model=ref, min_confidence=0.5).slug == "logos/v000001/c0.5"
    # With a floor, every threshold above it shares its detections (the report applies the threshold);
    # another floor, however close, does not
    assert {Detecting(model=ref, min_confidence=c, floor=0.2).slug for c in (0.2, 0.5, 0.9)} == {"logos/v000001/c0.2"}
    assert Detecting(model=ref, min_confidence=0.5, floor=0.195).slug == "logos/v000001/c0.195"
    with pytest.raises(ValidationError, match="detection floor 0.6 is above the threshold 0.5"):
        Detecting(model=ref, min_confidence=0.5, floor=0.6)
