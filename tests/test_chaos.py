"""What bench/chaos.py found or leans on, checked cheaply: a store error before the handler is a
counted, backed-off attempt (the message used to sit out its whole visibility timeout); a message SQS dead-letters because no
worker ever answered fails its job (it used to stay RUNNING for ever); a dead-lettered job
finishes after the fix and a redrive; BRANDVIS_DUPLICATE_SENDS puts every message on twice."""

from __future__ import annotations

import json

from botocore.exceptions import EndpointConnectionError

from shared.aws import make_clients
from shared.jobs import FAILED, SUCCEEDED, JobStore
from shared.messages import Sampling
from shared.queues import peek_dead_letters
from shared.submit import Submitter
from tests import media_factory
from tests.conftest import wait_for, wait_for_job


def test_a_job_dead_lettered_by_a_vanished_video_finishes_after_the_fix_and_a_redrive(
        clients, config, store, storage, run_worker, tmp_path):
    # Given a job whose source video vanished from S3 after it was requested (a fresh file and a
    # fresh worker cache, so no copy of it is anywhere)
    video = media_factory.make_video(tmp_path / "gone.mp4", seconds=3, fps=12, size=(160, 96), gop=12)
    submit = Submitter(clients)
    ref = submit.upload_video(video)
    clients.s3.delete_object(Bucket=storage.bucket, Key=ref.key)
    job = submit.analyze(ref, Sampling.at_fps(1), segment_seconds=100)
    run_worker(clients=make_clients(config.replace(cache_dir=tmp_path / "cache")), concurrency=1)
    # When probe fails on every attempt
    failed = wait_for_job(store, job.job_id)
    # Then the job failed with the reason after three attempts, and its message is a dead letter
    assert failed.status == FAILED
    assert failed.error.startswith("probe failed after 3 attempts: ClientError"), failed.error
    letters = wait_for(lambda: peek_dead_letters(clients, "probe"), 30, "the probe message in its DLQ")
    assert [d.job_id for d in letters] == [job.job_id]
    # When the video is put back and the operator redrives probe
    storage.upload_file(video, ref.key)
    redrive = wait_for_job(store, submit.redrive("probe").job_id)
    # Then the one dead letter moved, and the same job finished all of its work
    assert redrive.status == SUCCEEDED and redrive.result["moved"] == 1
    done = wait_for_job(store, job.job_id)
    assert done.status == SUCCEEDED, done.error
    extract = done.stages["extract"]
    assert done.stages["probe"].done == 1 and extract.done == extract.expected == 1 and done.result["frames"] == 3
    assert peek_dead_letters(clients, "probe") == []


def test_duplicate_sends_put_every_message_on_its_queue_twice(clients, config, videos):
    # Given clients whose config asks for duplicate sends (what the bench's --duplicates sets)
    doubled = make_clients(config.replace(duplicate_sends=True))
    # When a job is requested (no worker runs)
    job = Submitter(doubled).analyze(videos["h264"], Sampling.at_fps(1), segment_seconds=100)
    # Then its one probe message is on the queue twice, the same body both times
    url = clients.sqs.get_queue_url(QueueName=clients.names.queue("probe"))["QueueUrl"]
    got = clients.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)["Messages"]
    bodies = [json.loads(m["Body"]) for m in got]
    assert len(bodies) == 2 and bodies[0] == bodies[1] and bodies[0]["job_id"] == job.job_id


def test_a_store_error_before_the_handler_is_a_failed_attempt_not_an_acknowledgement(
        clients, store, run_worker, videos, monkeypatch):
    # Given a job store that cannot be reached the first time a worker checks a job's status
    real, calls = JobStore.job_status, []

    def flaky(self, job_id):
        calls.append(job_id)
        if len(calls) == 1:
            raise EndpointConnectionError(endpoint_url="http://127.0.0.1:9/")
        return real(self, job_id)

    monkeypatch.setattr(JobStore, "job_status", flaky)
    run_worker(concurrency=1)
    # When a job is requested
    job = Submitter(clients).analyze(videos["h264"], Sampling.at_fps(1), segment_seconds=100)
    # Then its probe message was tried again at once (not after probe's 120 s visibility timeout),
    # the failed attempt is on the job, and the job finished
    done = wait_for_job(store, job.job_id, timeout=60)
    assert done.status == SUCCEEDED, done.error
    assert done.stages["probe"].errors == 1 and done.stages["probe"].done == 1


def test_a_message_no_worker_ever_answered_fails_its_job_once_sqs_dead_letters_it(clients, store, run_worker, videos):
    # Given a job whose probe message was taken three times by workers that died without a word
    job = Submitter(clients).analyze(videos["h264"], Sampling.at_fps(1), segment_seconds=100)
    url = clients.sqs.get_queue_url(QueueName=clients.names.queue("probe"))["QueueUrl"]
    for _ in range(3):
        assert clients.sqs.receive_message(QueueUrl=url, VisibilityTimeout=0, WaitTimeSeconds=1).get("Messages")
    # When a worker polls (SQS dead-letters the message on this fourth receive) and watches the DLQs
    run_worker(stages=["probe"], dead_letter_look_s=0.3)
    # Then the job fails with why, instead of waiting for ever, and the letter waits for a redrive
    failed = wait_for_job(store, job.job_id, timeout=30)
    assert failed.status == FAILED and failed.error.startswith("probe got no answer in 3 deliveries"), failed.error
    assert [d.job_id for d in peek_dead_letters(clients, "probe")] == [job.job_id]


def test_a_duplicate_of_a_counted_message_is_skipped_not_redone(clients, config, store, run_worker, videos,
                                                                 replace_stage):
    # Given handlers that record each run, and every message (the request too) sent twice
    from workers.registry import get_stage

    runs: list[str] = []
    for name in ("probe", "extract", "sprite"):
        original = get_stage(name).fn
        replace_stage(name, lambda msg, ctx, original=original: (runs.append(msg.message_id), original(msg, ctx))[1])
    doubled = make_clients(config.replace(duplicate_sends=True))
    run_worker(clients=doubled, concurrency=1)  # one at a time: a copy comes after its twin is counted
    # When a job runs
    job = Submitter(doubled).analyze(videos["h264"], Sampling.at_fps(1), segment_seconds=3)
    done = wait_for_job(store, job.job_id)
    # Then each distinct message ran once: its copy was skipped instead of redoing the work and
    # sending its children again (which compounded: 2 probes, 4 copies of each extract, ...)
    assert done.status == SUCCEEDED, done.error
    assert sorted(runs) == sorted(set(runs)) and len(runs) == 1 + 3 + 1
    assert {s: (p.done, p.expected) for s, p in done.stages.items()} == {"probe": (1, 1), "extract": (3, 3),
                                                                          "sprite": (1, 1)}
