"""Job records and fan-in counters against DynamoDB over HTTP."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from shared.jobs import FAILED, QUEUED, RUNNING, SUCCEEDED, JobStore


def test_duplicate_completions_never_count_twice(store: JobStore):
    store.create_job("j1", "analyze", {}, first_stage="extract", first_expected=3)
    first = store.record_done("j1", "extract", "seg-0", {"frames": 10})
    again = store.record_done("j1", "extract", "seg-0", {"frames": 10})
    assert first.counted and not again.counted
    assert (again.done, again.expected) == (1, 3)
    assert store.get_job("j1").stages["extract"].metrics == {"frames": 10}


def test_exactly_one_of_many_concurrent_deliveries_completes_the_group(store: JobStore):
    # Given 20 children, each delivered 4 times, completing concurrently from 8 threads
    store.create_job("j2", "analyze", {}, first_stage="extract", first_expected=20)
    ids = [f"seg-{i}" for i in range(20)] * 4
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda mid: (mid, store.record_done("j2", "extract", mid, {"frames": 1})), ids))
    # Then each id counted once, metrics summed once per id, and one id (only) completes the group
    assert sum(r.counted for _, r in results) == 20
    progress = store.get_job("j2").stages["extract"]
    assert (progress.done, progress.expected, progress.metrics["frames"]) == (20, 20, 20)
    completing = {mid for mid, r in results if r.counted and r.completes_group(mid)}
    assert len(completing) == 1


def test_a_redelivered_completing_message_triggers_again_until_marked(store: JobStore):
    store.create_job("j3", "analyze", {}, first_stage="probe")
    done = store.record_done("j3", "probe", "p")
    assert done.completes_group("p")
    # crash before the trigger was recorded: the redelivery sees it still to do
    assert store.record_done("j3", "probe", "p").completes_group("p")
    store.mark_triggered("j3", "probe")
    assert not store.record_done("j3", "probe", "p").completes_group("p")


def test_status_transitions_and_terminal_states_stick(store: JobStore):
    store.create_job("j4", "analyze", {"x": 1}, first_stage="probe")
    assert store.job_status("j4") == QUEUED
    store.mark_running("j4")
    assert store.job_status("j4") == RUNNING
    assert store.fail_job("j4", "bad input")
    assert not store.succeed_job("j4", {"late": True})  # a late success cannot overwrite a failure
    job = store.get_job("j4")
    assert (job.status, job.error, job.result) == (FAILED, "bad input", None)
    store.create_job("j5", "analyze", {}, first_stage="probe")
    assert store.succeed_job("j5", {"frames": 3}) and not store.fail_job("j5", "too late")
    assert store.get_job("j5").status == SUCCEEDED


def test_pending_messages_are_those_not_counted(store: JobStore):
    store.create_job("j6", "analyze", {}, first_stage="extract", first_expected=3)
    store.put_messages("j6", [("extract", f"m{i}", f"body{i}") for i in range(3)])
    store.record_done("j6", "extract", "m1")
    assert sorted(b for _, b in store.pending_messages("j6")) == ["body0", "body2"]
    store.record_done("j6", "extract", "m0")
    store.record_done("j6", "extract", "m2")
    # complete but never triggered (crash): the completing message is re-sent
    assert store.pending_messages("j6") == [("extract", "body2")]
    store.mark_triggered("j6", "extract")
    assert store.pending_messages("j6") == []


def test_jobs_listed_newest_first_and_warnings_deduplicated(store: JobStore):
    for i in range(3):
        store.create_job(f"k{i}", "analyze", {}, first_stage="probe")
    assert [j.job_id for j in store.list_jobs()] == ["k2", "k1", "k0"]
    store.add_warnings("k0", ["truncated", "truncated", "odd"])
    store.add_warnings("k0", ["truncated"])
    assert store.get_job("k0").warnings == ["truncated", "odd"]
