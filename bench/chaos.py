"""Chaos and load: concurrent analysis jobs while workers and the stack itself are killed -9.

    python bench/chaos.py [--jobs 20] [--workers 3] [--concurrency 2] [--seconds 6] [--seed 1]
                          [--stack-kills 2] [--kill-every 5:15] [--duplicates] [--poison]

A local stack (`brandvis stack up`, snapshots in a temp data folder) and W worker processes
(`brandvis worker`, as the Procfile starts them) on this machine; a text-only model (made from
brand names, no training data); N generated 640x360 brand videos of a few seconds, each analysed
at 2 fps in 2 s segments with the model (probe, start-model, extract, detect, sprite, aggregate).

1. **calm**: the N jobs at once. Recorded: every report, throughput (jobs/min, video-seconds/min,
   distinct messages/s from the jobs' ledgers) and p50/p95 job latency (created -> finished).
2. **chaos**: the same N jobs again (new job ids; same videos, model and settings) while a
   seeded killer sends SIGKILL to a random worker every 5-15 s and restarts it, and the stack
   process is killed with SIGKILL and restarted on its data folder `--stack-kills` times mid-run.
3. `--duplicates`: the same N jobs with BRANDVIS_DUPLICATE_SENDS=1 (every message put on its
   queue twice, the job request too).
4. `--poison`: a body that is not JSON, an unknown schema version, an unknown stage, and a job
   whose source video vanished from S3 (probe fails on every attempt). Each must land in its
   stage's DLQ after 3 attempts with the reason on its job; after the video is put back, the
   product's redrive (a `control` job, as `brandvis redrive probe` asks) must finish that job.

Before each phase the videos' derived outputs (probe, frames, detections, sprites) are deleted,
so every phase does the same work. Checked after 2 and 3: every job SUCCEEDED, each report equals
its calm twin's apart from job ids, stage counters equal (done = expected = distinct ids), and
no message is left on any queue or DLQ. Workers run with a 10 s visibility timeout (the
heartbeat extends it; a killed worker's message comes back within it) and a 1 s retry backoff.
Everything runs on 127.0.0.1 in a temp folder; processes and folder are removed on exit,
Ctrl-C included.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from botocore.exceptions import BotoCoreError, ClientError  # noqa: E402

from devtools.synth.benchmark import make_typeset_logos  # noqa: E402
from devtools.synth.video import make_brand_video  # noqa: E402
from shared import layout  # noqa: E402
from shared.aws import Clients, make_clients  # noqa: E402
from shared.config import Config  # noqa: E402
from shared.jobs import SUCCEEDED, Job, JobStore  # noqa: E402
from shared.ledger import MessageLedger  # noqa: E402
from shared.counters import StageCounters  # noqa: E402
from shared.messages import Sampling, VideoRef  # noqa: E402
from shared.names import CONSUMERS, STAGES  # noqa: E402
from shared.queues import depths  # noqa: E402
from shared.stack.server import health  # noqa: E402
from shared.storage import Storage  # noqa: E402
from shared.submit import Submitter  # noqa: E402

MODEL = "chaos-text"
SAMPLING = Sampling.at_fps(2)
SEGMENT_S = 2.0
QUEUES = STAGES + CONSUMERS
STORE_ERRORS = (BotoCoreError, ClientError, OSError)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def retry(fn: Callable[[], Any], what: str, timeout: float = 120.0) -> Any:
    """Call fn until the stack answers it (it may be restarting under us)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return fn()
        except STORE_ERRORS:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the stack did not answer for {timeout:.0f} s: {what}") from None
            time.sleep(0.5)


# -- processes ---------------------------------------------------------------------------------
class Cluster:
    """The stack process and W worker processes, started as the Procfile starts them."""

    def __init__(self, tmp: Path, workers: int, concurrency: int) -> None:
        self.tmp = tmp
        self.config = Config(stack_port=free_port(), data_dir=tmp / "data", poll_wait_s=1)
        self.concurrency = concurrency
        self.stack: subprocess.Popen | None = None
        self.workers: list[subprocess.Popen | None] = [None] * workers
        self.worker_env: dict[str, str] = {}
        self.lock = threading.Lock()  # one kill/restart at a time
        self.closing = False  # set by stop(): the killer thread starts nothing after it
        self.stack_kills = self.worker_kills = 0

    def _spawn(self, args: list[str], env: dict[str, str], log: str) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "cli.main", *args], cwd=ROOT, env={**os.environ, **env},
                                stdout=open(self.tmp / log, "ab"), stderr=subprocess.STDOUT,
                                start_new_session=True)  # Ctrl-C reaches the bench only; it stops them in order

    def start_stack(self) -> None:
        self.stack = self._spawn(["stack", "up", "--port", str(self.config.stack_port), "--data-dir",
                                  str(self.config.data_dir)], {}, "stack.log")
        deadline = time.monotonic() + 120
        while not (health(self.config.endpoint or "") or {}).get("ready"):
            if self.stack.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the stack did not start; see {self.tmp / 'stack.log'}")
            time.sleep(0.05)

    def kill_stack(self) -> float:
        """SIGKILL the stack, start it again on the same data folder; seconds it was away."""
        with self.lock:
            t0 = time.monotonic()
            if self.closing or self.stack is None:
                return 0.0
            self.stack.send_signal(signal.SIGKILL)
            self.stack.wait()
            self.stack_kills += 1
            self.start_stack()
            return time.monotonic() - t0

    def start_worker(self, i: int) -> None:
        env = {"BRANDVIS_ENDPOINT_URL": self.config.endpoint or "", "BRANDVIS_CACHE_DIR": str(self.tmp / "cache"),
               "BRANDVIS_DATA_DIR": str(self.tmp / "unused"), "BRANDVIS_POLL_WAIT_S": "1",
               "BRANDVIS_VISIBILITY_TIMEOUT_S": "10", "BRANDVIS_RETRY_BACKOFF_S": "1",
               "BRANDVIS_DECODE_THREADS": "1", **self.worker_env}
        self.workers[i] = self._spawn(["worker", "--concurrency", str(self.concurrency)], env, f"worker-{i}.log")

    def kill_worker(self, i: int) -> None:
        with self.lock:
            if self.closing:
                return
            w = self.workers[i]
            if w is not None:
                w.send_signal(signal.SIGKILL)
                w.wait()
                self.worker_kills += 1
            self.start_worker(i)

    def start_workers(self, env: dict[str, str] | None = None) -> None:
        self.worker_env = dict(env or {})
        for i in range(len(self.workers)):
            self.start_worker(i)

    def stop_workers(self) -> None:
        procs = [w for w in self.workers if w is not None]
        for w in procs:
            if w.poll() is None:
                w.send_signal(signal.SIGTERM)
        for w in procs:
            try:
                w.wait(60)
            except subprocess.TimeoutExpired:
                w.kill()
                w.wait()
        self.workers = [None] * len(self.workers)

    def stop(self) -> None:
        """Everything down, whatever state it is in (also on Ctrl-C and failures)."""
        with self.lock:  # waits for a kill/restart in progress; none starts after this
            self.closing = True
        try:
            self.stop_workers()
        finally:
            if self.stack is not None and self.stack.poll() is None:
                self.stack.send_signal(signal.SIGTERM)
                try:
                    self.stack.wait(30)
                except subprocess.TimeoutExpired:
                    self.stack.kill()
                    self.stack.wait()


# -- jobs --------------------------------------------------------------------------------------
@dataclass
class Phase:
    name: str
    jobs: list[str]
    wall_s: float
    finished: dict[str, Job]
    messages: int
    latencies: list[float]
    reports: dict[str, dict] = field(default_factory=dict)
    counters: dict[str, dict] = field(default_factory=dict)

    def rate(self, n: float) -> float:
        return n / self.wall_s


def _t(stamp: str | None) -> datetime:
    assert stamp is not None
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def forget_outputs(clients: Clients, refs: list[VideoRef], cache: Path) -> None:
    """Delete what analysing the videos left (probe, frames, detections, sprites) and the workers'
    local copies, so the next phase does all of the work again; the uploads stay."""
    storage = Storage(clients.s3, clients.names.bucket)
    for ref in refs:
        keys = [k for k in storage.list_keys(layout.video_prefix(ref.video_id) + "/") if "/source/" not in k]
        for i in range(0, len(keys), 1000):
            clients.s3.delete_objects(Bucket=storage.bucket,
                                      Delete={"Objects": [{"Key": k} for k in keys[i:i + 1000]]})
    shutil.rmtree(cache / "media", ignore_errors=True)


def normalised(report: dict) -> dict:
    """The report without what differs between two runs of the same job by design: its job id."""
    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in ("job_id", "created_at", "generated_at")}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value
    return strip(report)


def counters_of(clients: Clients, job_id: str) -> dict[str, Any]:
    stages = StageCounters(clients.dynamodb, clients.names.jobs_table).stages(job_id)
    return {name: {"done": p.done, "expected": p.expected, "distinct": len(set(p.done_ids)), "metrics": p.metrics}
            for name, p in stages.items()}


def run_phase(name: str, cluster: Cluster, refs: list[VideoRef],
              during: Callable[[list[str], threading.Event], None] | None = None,
              duplicate: bool = False) -> Phase:
    """Submit one job per video at once, wait for all to end, collect what they left."""
    clients = make_clients(cluster.config.replace(duplicate_sends=duplicate), max_attempts=2)
    store = JobStore(clients.dynamodb, clients.names.jobs_table)
    forget_outputs(clients, refs, cluster.tmp / "cache")
    t0 = time.monotonic()
    jobs = [Submitter(clients).analyze(ref, SAMPLING, segment_seconds=SEGMENT_S, model=MODEL).job_id for ref in refs]
    stop = threading.Event()
    chaos = threading.Thread(target=during, args=(jobs, stop), daemon=True) if during else None
    if chaos:
        chaos.start()
    wall = wait_all(store, jobs, deadline_s=1800)
    wall_s = wall - t0
    if chaos:
        stop.set()
        chaos.join()
        wait_all(store, jobs, deadline_s=600)  # a stack kill may have undone a finish: look again
    finished = {j: retry(lambda j=j: store.get_job(j), "read a job") for j in jobs}
    ledger = MessageLedger(clients.dynamodb, clients.names.jobs_table)
    messages = sum(len(retry(lambda j=j: list(ledger.query_prefix(f"job#{j}", "msg#")), "read a ledger")) for j in jobs)
    latencies = [(_t(f.finished_at) - _t(f.created_at)).total_seconds() for f in finished.values() if f.finished_at]
    phase = Phase(name, jobs, wall_s, finished, messages, latencies)
    storage = Storage(clients.s3, clients.names.bucket)
    for j, f in finished.items():
        if f.status == SUCCEEDED:
            phase.reports[j] = normalised(storage.get_json(layout.report_key(j)))
        phase.counters[j] = counters_of(clients, j)
    return phase


def wait_all(store: JobStore, jobs: list[str], deadline_s: float) -> float:
    """Until every job has ended (a read that fails while the stack restarts is tried again)."""
    deadline = time.monotonic() + deadline_s
    pending = list(jobs)
    while pending:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{len(pending)} job(s) still unfinished after {deadline_s:.0f} s: {pending[:3]}")
        try:
            pending = [j for j in pending if not ((job := store.get_job(j)) and job.finished)]
        except STORE_ERRORS:
            pass
        if pending:
            time.sleep(0.25)
    return time.monotonic()


def queues_left(clients: Clients, settle_s: float = 90.0) -> dict[str, int]:
    """Messages still on any queue or DLQ once the system had `settle_s` to drain ({} = none).
    Duplicates of finished work may be queued for a moment after the last job ends (they are
    skipped); a message held by a killed worker returns after its visibility timeout."""
    deadline = time.monotonic() + settle_s
    while True:
        left = {}
        for d in retry(lambda: depths(clients, QUEUES), "read queue depths"):
            total = d.waiting + d.in_flight + d.delayed
            if total:
                left[d.stage] = total
            if d.dead:
                left[f"{d.stage}-dlq"] = d.dead
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(1.0)


def differences(calm: Phase, other: Phase) -> tuple[int, int, list[str]]:
    """(reports that differ from their calm twin's, jobs whose counters differ, first few details)."""
    reports = counts = 0
    notes: list[str] = []
    for a, b in zip(calm.jobs, other.jobs):
        ra, rb = calm.reports.get(a), other.reports.get(b)
        if ra is None or rb is None or json.dumps(ra, sort_keys=True) != json.dumps(rb, sort_keys=True):
            reports += 1
            notes.append(f"report of {b} differs from {a}'s")
        ca, cb = calm.counters[a], other.counters[b]
        exact = all(p["done"] == p["expected"] == p["distinct"] for p in cb.values())
        if ca != cb or not exact:
            counts += 1
            notes.append(f"counters of {b}: {cb} vs calm {ca}")
    return reports, counts, notes[:5]


# -- chaos -------------------------------------------------------------------------------------
def chaos_monkey(cluster: Cluster, rng: random.Random, kill_every: tuple[float, float], stack_at: list[float],
                 store: JobStore, log: list[str]) -> Callable[[list[str], threading.Event], None]:
    """A killer: SIGKILL a random worker every `kill_every` seconds and restart it; SIGKILL the
    stack at the given seconds into the phase (when jobs are still unfinished) and restart it."""
    def unfinished(jobs: list[str]) -> int:
        try:
            return sum(1 for j in jobs if not ((job := store.get_job(j)) and job.finished))
        except STORE_ERRORS:
            return len(jobs)

    def run(jobs: list[str], stop: threading.Event) -> None:
        t0 = time.monotonic()
        next_worker = rng.uniform(*kill_every)
        stack_times = list(stack_at)
        while not stop.is_set():
            now = time.monotonic() - t0
            due = [next_worker] + stack_times[:1]
            if stop.wait(max(0.0, min(due) - now)):
                return
            now = time.monotonic() - t0
            if stack_times and now >= stack_times[0]:
                stack_times.pop(0)
                left = unfinished(jobs)  # 20 reads of a busy stack can take seconds: time the kill itself
                if left:
                    at = time.monotonic() - t0
                    away = cluster.kill_stack()
                    log.append(f"  {at:6.1f} s  stack killed -9 ({left} jobs unfinished), back in {away:.1f} s")
                now = time.monotonic() - t0
            if now >= next_worker:
                i = rng.randrange(len(cluster.workers))
                cluster.kill_worker(i)
                log.append(f"  {now:6.1f} s  worker {i} killed -9, restarted")
                next_worker = now + rng.uniform(*kill_every)
    return run


# -- poison ------------------------------------------------------------------------------------
def poison_phase(cluster: Cluster, refs: list[VideoRef], video: Path) -> list[tuple[str, str, str]]:
    """Rows (case, where it ended, reason on its job) for each poison message, then the redrive."""
    clients = make_clients(cluster.config, max_attempts=2)
    store = JobStore(clients.dynamodb, clients.names.jobs_table)
    storage = Storage(clients.s3, clients.names.bucket)
    submit = Submitter(clients)
    url = {q: clients.sqs.get_queue_url(QueueName=clients.names.queue(q))["QueueUrl"] for q in STAGES}
    rows: list[tuple[str, str, str]] = []
    # A job whose source video is gone: every probe attempt fails (not a user error: the object vanished)
    ref = submit.upload_video(video)
    clients.s3.delete_object(Bucket=storage.bucket, Key=ref.key)
    missing = submit.analyze(ref, SAMPLING, segment_seconds=SEGMENT_S, model=MODEL).job_id
    # Bodies no worker can read, each with a job that shows the reason (the first has none: not JSON)
    for jid in ("poison-version", "poison-stage"):
        store.create_job(jid, "analyze", {}, first_stage="extract")
    clients.sqs.send_message(QueueUrl=url["sprite"], MessageBody="{not json")
    clients.sqs.send_message(QueueUrl=url["extract"], MessageBody=json.dumps(
        {"version": 99, "job_id": "poison-version", "stage": "extract", "message_id": "x"}))
    clients.sqs.send_message(QueueUrl=url["aggregate"], MessageBody=json.dumps(
        {"version": 1, "job_id": "poison-stage", "stage": "teleport", "message_id": "y"}))
    cases = [("body not JSON", "sprite", None), ("schema version 99", "extract", "poison-version"),
             ("unknown stage 'teleport'", "aggregate", "poison-stage"), ("source video vanished", "probe", missing)]
    for case, stage, jid in cases:
        dead = wait_dlq(clients, stage)
        reason = "(no job: the body names none; the worker logs it)"
        if jid:
            job = JobStoreWait(store).until_finished(jid)
            reason = f"{job.status}: {job.error}"
        rows.append((case, f"{stage} DLQ ({dead} message)" if dead == 1 else f"{stage} DLQ: {dead}", reason))
    # The fix: the video is back; the operator redrives probe (brandvis redrive probe)
    storage.put_bytes(ref.key, video.read_bytes())
    control = JobStoreWait(store).until_finished(submit.redrive("probe").job_id)
    done = JobStoreWait(store).until_finished(missing)
    rows.append(("redrive probe after the fix", f"control job {control.status}, moved {control.result.get('moved')}",
                 f"job {done.status}" + (f": {done.error}" if done.error else "")))
    # The three unreadable bodies stay dead letters (nothing can fix them): purge them
    for stage in ("sprite", "extract", "aggregate"):
        clients.sqs.purge_queue(QueueUrl=clients.sqs.get_queue_url(QueueName=clients.names.dlq(stage))["QueueUrl"])
    return rows


def wait_dlq(clients: Clients, stage: str, timeout: float = 120.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        dead = next(d.dead for d in depths(clients, (stage,)))
        if dead:
            return dead
        time.sleep(0.5)
    return 0


@dataclass
class JobStoreWait:
    store: JobStore

    def until_finished(self, job_id: str, timeout: float = 180.0) -> Job:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.store.get_job(job_id)
            if job is not None and job.finished:
                return job
            time.sleep(0.25)
        raise RuntimeError(f"job {job_id} did not finish in {timeout:.0f} s")


# -- main --------------------------------------------------------------------------------------
def make_videos(tmp: Path, n: int, seconds: float, seed: int) -> tuple[list[Path], str]:
    brands, distractors = make_typeset_logos(np.random.default_rng(3))
    words = ",".join(f"{b.name}={b.design['text']}" for b in brands)
    paths = [make_brand_video(tmp / f"match-{i:03d}.mp4", brands, distractors, seconds=seconds, size=(640, 360),
                              seed=seed * 1000 + i, min_frac=0.2, rotate=6.0).path for i in range(n + 1)]
    return paths, words


def line(label: str, *cells: str) -> str:
    return f"{label:32s}" + "".join(f"{c:>24s}" for c in cells)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--jobs", type=int, default=20, help="concurrent analysis jobs per phase")
    ap.add_argument("--workers", type=int, default=3, help="worker processes")
    ap.add_argument("--concurrency", type=int, default=2, help="messages at once per worker (the Procfile's 2)")
    ap.add_argument("--seconds", type=float, default=6.0, help="length of each generated video")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--stack-kills", type=int, default=2, help="stack SIGKILLs in the chaos phase")
    ap.add_argument("--kill-every", default="5:15", help="seconds between worker SIGKILLs, MIN:MAX (random)")
    ap.add_argument("--duplicates", action="store_true", help="also: every message delivered twice")
    ap.add_argument("--poison", action="store_true", help="also: poison messages, DLQ and redrive")
    args = ap.parse_args()
    lo, hi = (float(x) for x in args.kill_every.split(":"))
    rng = random.Random(args.seed)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    failures = 0
    with tempfile.TemporaryDirectory(prefix="brandvis-chaos-") as tmp_name:
        tmp = Path(tmp_name)
        cluster = Cluster(tmp, args.workers, args.concurrency)
        try:
            print(f"brandvis chaos bench: {args.jobs} jobs x {args.seconds:g} s 640x360 videos at 2 fps "
                  f"({SEGMENT_S:g} s segments), {args.workers} workers x {args.concurrency}, text model, "
                  f"seed {args.seed}; cores: {os.cpu_count()}", flush=True)
            videos, words = make_videos(tmp, args.jobs, args.seconds, args.seed)
            cluster.start_stack()
            clients = make_clients(cluster.config, max_attempts=2)
            store = JobStore(clients.dynamodb, clients.names.jobs_table)
            refs = [Submitter(clients).upload_video(v) for v in videos[:args.jobs]]
            cluster.start_workers()
            job, _ = Submitter(clients).train_text(words, MODEL)
            assert JobStoreWait(store).until_finished(job.job_id).status == SUCCEEDED

            calm = run_phase("calm", cluster, refs)
            calm_left = queues_left(clients)
            print(f"calm: {len(calm.jobs)} jobs in {calm.wall_s:.1f} s", flush=True)

            events: list[str] = []
            stack_at = sorted(rng.uniform(0.15, 0.4) * calm.wall_s + k * 0.35 * calm.wall_s
                              for k in range(args.stack_kills))
            monkey = chaos_monkey(cluster, rng, (lo, hi), stack_at, store, events)
            chaos = run_phase("chaos", cluster, refs, during=monkey)
            clients = make_clients(cluster.config, max_attempts=2)
            chaos_left = queues_left(clients)
            print(f"chaos: {len(chaos.jobs)} jobs in {chaos.wall_s:.1f} s", flush=True)
            print("\n".join(events), flush=True)
            phases = [(calm, calm_left), (chaos, chaos_left)]
            if args.duplicates:
                cluster.stop_workers()
                cluster.start_workers({"BRANDVIS_DUPLICATE_SENDS": "1"})
                dup = run_phase("duplicates", cluster, refs, duplicate=True)
                phases.append((dup, queues_left(clients)))
                cluster.stop_workers()
                cluster.start_workers()
                print(f"duplicates: {len(dup.jobs)} jobs in {dup.wall_s:.1f} s", flush=True)

            print()
            print(line("", *(p.name for p, _ in phases)))
            print(line("jobs / workers", *(f"{len(p.jobs)} / {args.workers}x{args.concurrency}" for p, _ in phases)))
            print(line("distinct messages (ledger)", *(str(p.messages) for p, _ in phases)))
            print(line("faults injected", "none", f"{cluster.worker_kills} worker + {cluster.stack_kills} stack -9",
                       *(["every message x2"] if args.duplicates else [])))
            print(line("jobs failed", *(str(sum(f.status != SUCCEEDED for f in p.finished.values()))
                                        for p, _ in phases)))
            diffs = [differences(calm, p) if p is not calm else (0, 0, []) for p, _ in phases]
            print(line("reports differing from calm", *(("-" if p is calm else str(d[0]))
                                                         for (p, _), d in zip(phases, diffs))))
            print(line("jobs with counters differing", *(("-" if p is calm else str(d[1]))
                                                          for (p, _), d in zip(phases, diffs))))
            print(line("messages left (queues + DLQs)", *(str(sum(left.values())) for _, left in phases)))
            print(line("wall time", *(f"{p.wall_s:.1f} s" for p, _ in phases)))
            print(line("jobs/min", *(f"{60 * p.rate(len(p.jobs)):.1f}" for p, _ in phases)))
            print(line("video-seconds/min", *(f"{60 * p.rate(len(p.jobs) * args.seconds):.0f}" for p, _ in phases)))
            print(line("messages/s", *(f"{p.rate(p.messages):.2f}" for p, _ in phases)))
            print(line("job latency p50 / p95", *(f"{statistics.median(p.latencies):.1f} / {pct(p.latencies, 0.95):.1f} s"
                                                  for p, _ in phases)))
            for (p, left), d in zip(phases, diffs):
                bad = [f"{j}: {f.status} {f.error}" for j, f in p.finished.items() if f.status != SUCCEEDED]
                for note in bad[:5] + d[2] + ([f"left: {left}"] if left else []):
                    print(f"  {p.name}: {note}")
                failures += len(bad) + d[0] + d[1] + sum(left.values())

            if args.poison:
                print("\npoison")
                rows = poison_phase(cluster, refs, videos[args.jobs])
                for case, where, reason in rows:
                    print(f"  {case:28s} -> {where:34s} {reason}")
                expected = ["FAILED: sprite", "FAILED: extract failed after 3 attempts: unsupported message version",
                            "FAILED: aggregate failed after 3 attempts: invalid teleport message",
                            "FAILED: probe failed after 3 attempts", "job SUCCEEDED"]
                ok = [rows[0][1].startswith("sprite DLQ (1")] + [r[2].startswith(e) for r, e in
                                                                 zip(rows[1:], expected[1:])]
                left = queues_left(clients)
                print(f"  messages left after the redrive and the purge of the unreadable three: {sum(left.values())}")
                failures += ok.count(False) + sum(left.values())
            if failures:
                print(f"\n{failures} problem(s); the last lines of each log:")
                for log in sorted(tmp.glob("*.log")):
                    tail = log.read_text(errors="replace").splitlines()[-15:]
                    print(f"--- {log.name}\n" + "\n".join(tail))
            else:
                print("\nOK: every job succeeded, every report and counter equals its calm twin's, no message left")
        except KeyboardInterrupt:
            print("\ninterrupted: stopping workers and the stack", flush=True)
            failures = 1
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):  # a second Ctrl-C must not cut the cleanup short
                signal.signal(sig, signal.SIG_IGN)
            cluster.stop()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
