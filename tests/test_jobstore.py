"""Job records, fan-in counters and the message ledger against DynamoDB over HTTP."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from shared.counters import StageCounters
from shared.jobs import FAILED, QUEUED, RUNNING, SUCCEEDED, JobStore
from shared.ledger import MessageLedger


def test_duplicate_completions_never_count_twice(store: JobStore, counters: StageCounters):
    store.create_job("j1", "analyze", {}, first_stage="extract", first_expected=3)
    first = counters.record_done("j1", "extract", "seg-0", {"frames": 10})
    again = counters.record_done("j1", "extract", "seg-0", {"frames": 10})
    assert first.counted and not again.counted
    assert (again.done, again.expected) == (1, 3)
    assert store.get_job("j1").stages["extract"].metrics == {"frames": 10}


def test_exactly_one_of_many_concurrent_deliveries_completes_the_group(store: JobStore, counters: StageCounters):
    # Given 20 children, each delivered 4 times, completing concurrently from 8 threads
    store.create_job("j2", "analyze", {}, first_stage="extract", first_expected=20)
    ids = [f"seg-{i}" for i in range(20)] * 4
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda mid: (mid, counters.record_done("j2", "extract", mid, {"frames": 1})), ids))
    # Then each id counted once, metrics summed once per id, and one id (only) completes the group
    assert sum(r.counted for _, r in results) == 20
    progress = store.get_job("j2").stages["extract"]
    assert (progress.done, progress.expected, progress.metrics["frames"]) == (20, 20, 20)
    completing = {mid for mid, r in results if r.counted and r.completes_group(mid)}
    assert len(completing) == 1


def test_a_redelivered_completing_message_triggers_again_until_marked(store: JobStore, counters: StageCounters):
    store.create_job("j3", "analyze", {}, first_stage="probe")
    done = counters.record_done("j3", "probe", "p")
    assert done.completes_group("p")
    # crash before the trigger was recorded: the redelivery sees it still to do
    assert counters.record_done("j3", "probe", "p").completes_group("p")
    counters.mark_triggered("j3", "probe")
    assert not counters.record_done("j3", "probe", "p").completes_group("p")


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


def test_pending_messages_are_those_not_counted(store: JobStore, counters: StageCounters, ledger: MessageLedger):
    store.create_job("j6", "analyze", {}, first_stage="extract", first_expected=3)
    ledger.put_messages("j6", [("extract", "extract", f"m{i}", f"body{i}") for i in range(3)])
    counters.record_done("j6", "extract", "m1")
    assert sorted(b for _, b in ledger.pending_messages("j6")) == ["body0", "body2"]
    counters.record_done("j6", "extract", "m0")
    counters.record_done("j6", "extract", "m2")
    # complete but never triggered (crash): the completing message is re-sent
    assert ledger.pending_messages("j6") == [("extract", "body2")]
    counters.mark_triggered("j6", "extract")
    assert ledger.pending_messages("j6") == []


def test_jobs_listed_newest_first_and_warnings_deduplicated(store: JobStore):
    for i in range(3):
        store.create_job(f"k{i}", "analyze", {}, first_stage="probe")
    assert [j.job_id for j in store.list_jobs()] == ["k2", "k1", "k0"]
    store.add_warnings("k0", ["truncated", "truncated", "odd"])
    store.add_warnings("k0", ["truncated"])
    assert store.get_job("k0").warnings == ["truncated", "odd"]


def test_reading_a_job_never_reads_its_message_ledger(store: JobStore, counters: StageCounters,
                                                      ledger: MessageLedger, clients):
    # Given a job that sent many large messages
    store.create_job("j7", "analyze", {}, first_stage="extract", first_expected=40)
    ledger.put_messages("j7", [("extract", "extract", f"m{i}", "x" * 20_000) for i in range(40)])
    counters.record_done("j7", "extract", "m0")
    # When the job is read (every dashboard and CLI poll, every fan-in)
    seen: list[dict] = []
    clients.dynamodb.meta.events.register("after-call.dynamodb.*", lambda parsed, **_: seen.append(parsed))
    job = store.get_job("j7")
    # Then its progress is there, and no ledger item came back
    assert job.stages["extract"].done == 1 and job.stages["extract"].expected == 40
    items = [i for r in seen for i in r.get("Items", [])] + [r["Item"] for r in seen if "Item" in r]
    assert items and not any(i["sk"]["S"].startswith("msg#") for i in items)


def test_a_worker_is_stale_after_three_missed_heartbeats(clients):
    from datetime import datetime, timedelta, timezone

    from shared.presence import HEARTBEAT_S, STALE_AFTER_S, WorkerPresence

    # Given a worker that has just reported, and one that has just begun stopping
    presence = WorkerPresence(clients.dynamodb, clients.names.jobs_table)
    presence.seen("w1", "host", 1, ["probe"], "2026-01-01T00:00:00Z")
    presence.seen("w2", "host", 2, ["probe"], "2026-01-01T00:00:00Z", stopping=True)
    seen = {w.worker_id: w for w in presence.list_workers()}
    now = datetime.now(timezone.utc)

    # Then it is running, and the other stopping, until three heartbeats are missed; stale after that
    assert STALE_AFTER_S == 3 * HEARTBEAT_S
    assert (seen["w1"].state(now), seen["w2"].state(now)) == ("running", "stopping")
    assert [w.worker_id for w in presence.running()] == ["w1"]
    later = now + timedelta(seconds=STALE_AFTER_S + 1)
    assert (seen["w1"].state(later), seen["w2"].state(later)) == ("stale", "stale")
    # And a stopped worker stays stopped however long ago it was seen
    presence.seen("w1", "host", 1, ["probe"], "2026-01-01T00:00:00Z", stopped=True)
    stopped = next(w for w in presence.list_workers() if w.worker_id == "w1")
    assert stopped.state(later + timedelta(days=1)) == "stopped" and presence.running() == []
