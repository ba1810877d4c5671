"""Campaign bench: many short videos submitted at once into one campaign, on the local stack.

    python bench/campaign.py [--videos 50] [--seconds 4] [--workers 1,2]

N short brand videos (devtools/synth/video.py, 192x108, 25 fps, a few seconds each, one seed
each) are analysed at 2 fps with a small local model, all submitted up front into one campaign
(`Submitter.analyze(campaign=...)`, what `brandvis analyze VIDEO... --campaign` does), by 1 and
then 2 worker processes (concurrency 1 each, one FFmpeg thread). The stack is reset between runs,
so the second run reuses nothing the first computed. Printed per run:
- throughput: video-minutes analysed per minute of wall time (first submit to last job's end);
- failures (goal 0);
- the deepest each stage queue got (messages waiting, sampled every 0.25 s) against what the
  workers can take in one of that stage's visibility timeouts (workers x timeout / the stage's
  mean seconds per message, from the workers' log lines);
- the time to build the campaign report from the N stored reports (goal <= 2 s): the pure
  builder alone, and the whole read (job records + S3 reports + builder).
Videos are cached in bench/.cache/campaign.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.media import CACHE, _reset, _stop, _workers  # noqa: E402
from shared import layout  # noqa: E402
from shared.config import Config  # noqa: E402
from shared.jobs import FAILED, JobStore  # noqa: E402
from shared.messages import Sampling  # noqa: E402
from shared.presence import WorkerPresence  # noqa: E402
from shared.queues import depths  # noqa: E402
from shared.stack.provision import provision  # noqa: E402
from shared.storage import Storage  # noqa: E402
from shared.submit import Submitter  # noqa: E402
from workers.registry import get_stage  # noqa: E402

SIZE = (192, 108)
STAGES = ("probe", "start-model", "extract", "sprite", "detect", "aggregate")


def make_videos(n: int, seconds: float, brands, distractors) -> list[Path]:  # type: ignore[no-untyped-def]
    from devtools.synth.video import make_brand_video

    folder = CACHE / "campaign"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        path = folder / f"clip-{seconds:g}s-{i:03d}.mp4"
        if not path.exists():
            make_brand_video(path.with_suffix(".part.mp4"), brands, distractors, seconds=seconds, size=SIZE,
                             seed=1000 + i).path.rename(path)
        paths.append(path)
    return paths


def small_model():  # type: ignore[no-untyped-def]
    """A head trained on 8 generated frames (tests/test_campaign.py's): this bench times the
    pipeline, not the model's accuracy (bench/analysis.py does that)."""
    from devtools.synth.benchmark import make_benchmark
    from shared.models.local.trainer import LabeledImage, train_head
    from tests.analysis_fixtures import TrainedModel

    bench = make_benchmark(seed=7, n_train=8, n_test=0, photos=[])
    labels = [b.name for b in bench.brands]
    train = [LabeledImage(f.image, [(i.label, i.box) for i in f.instances if i.is_brand]) for f in bench.train]
    return TrainedModel(bench, train_head(train, labels, synthetic=16))


class DepthWatch(threading.Thread):
    """The deepest each stage queue gets (visible messages), sampled until stopped."""

    def __init__(self, clients, every: float = 0.25) -> None:  # type: ignore[no-untyped-def]
        super().__init__(daemon=True)
        self.clients, self.every = clients, every
        self.waiting: dict[str, int] = defaultdict(int)
        self.all: dict[str, int] = defaultdict(int)  # waiting + in flight + delayed
        self.samples: list[dict[str, int]] = []  # waiting per stage, each sample
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(self.every):
            sample = {}
            for d in depths(self.clients, STAGES):
                sample[d.stage] = d.waiting
                self.waiting[d.stage] = max(self.waiting[d.stage], d.waiting)
                self.all[d.stage] = max(self.all[d.stage], d.waiting + d.in_flight + d.delayed)
            self.samples.append(sample)

    def backlog_s(self, mean: dict[str, float]) -> float:
        """The most work (seconds of handling, all stages) ever waiting in the queues at once."""
        return max((sum(n * mean.get(s, 0.0) for s, n in sample.items()) for sample in self.samples), default=0.0)


def stage_seconds(logs: Path) -> dict[str, float]:
    """Mean seconds per handled message per stage, from the workers' one line per message."""
    times: dict[str, list[int]] = defaultdict(list)
    for log in logs.glob("worker-*.log"):
        for m in re.finditer(r"stage=(\S+) .*?event=(?:done|later) ms=(\d+)", log.read_text(errors="replace")):
            times[m.group(1)].append(int(m.group(2)))
    return {s: sum(v) / len(v) / 1000 for s, v in times.items() if v}


def run(stack, paths: list[Path], seconds: float, workers: int, model, tmp: Path) -> None:  # type: ignore[no-untyped-def]
    from shared.campaigns import campaign_report, campaign_videos
    from shared.report.campaign import build_campaign
    from tests.analysis_fixtures import install_model

    _reset(stack.endpoint)
    clients = stack.clients()
    provision(clients)
    install_model(clients, model, name="bench-campaign")
    store = JobStore(clients.dynamodb, clients.names.jobs_table)
    logs = tmp / f"logs-{workers}"
    logs.mkdir()
    procs = _workers(workers, stack.endpoint, tmp / f"cache-{workers}", logs, decode_threads=1)
    watch = DepthWatch(clients)
    try:
        presence = WorkerPresence(clients.dynamodb, clients.names.jobs_table)
        while len([w for w in presence.list_workers() if not w.stopped]) < workers:
            time.sleep(0.05)
        watch.start()
        t0 = time.perf_counter()
        requests = Submitter(clients)
        jobs = [requests.analyze(p, Sampling.at_fps(2), model="bench-campaign", campaign=f"bench {workers}w",
                                 meta={"date": f"2026-03-{1 + i % 28:02d}", "event": f"match {i}"})
                for i, p in enumerate(paths)]
        submitted = time.perf_counter() - t0
        pending = {j.job_id for j in jobs}
        finals = {}
        while pending:
            for job_id in list(pending):
                job = store.get_job(job_id)
                if job is not None and job.finished:
                    finals[job_id] = job
                    pending.discard(job_id)
            time.sleep(0.5)
        wall = time.perf_counter() - t0
    finally:
        watch.done.set()
        _stop(procs)
    failed = [j for j in finals.values() if j.status == FAILED]
    video_min = len(paths) * seconds / 60
    print(f"\n{workers} worker process(es): {len(paths)} videos x {seconds:g} s ({video_min:.2f} video-min), "
          f"submitted in {submitted:.1f} s, all ended in {wall:.1f} s")
    print(f"  throughput {video_min / (wall / 60):.2f} video-min analysed per min; failures {len(failed)} (goal 0)")
    for j in failed[:5]:
        print(f"    failed {j.job_id}: {j.error}")
    mean = stage_seconds(logs)
    print(f"  {'stage':12s} {'max waiting':>11s} {'max total':>9s} {'s/message':>9s} {'timeout':>7s} "
          f"{'takes in one timeout':>20s}")
    for stage in STAGES:
        vt = get_stage(stage).visibility_timeout
        cap = workers * vt / mean[stage] if stage in mean else float("inf")
        flag = "" if watch.waiting[stage] <= cap else "  <- more than one timeout's work"
        print(f"  {stage:12s} {watch.waiting[stage]:11d} {watch.all[stage]:9d} {mean.get(stage, float('nan')):9.2f} "
              f"{vt:5d} s {cap:20.0f}{flag}")
    backlog = watch.backlog_s(mean)
    shortest = min(get_stage(s).visibility_timeout for s in STAGES)
    print(f"  deepest backlog, all queues together: {backlog:.0f} s of handling = {backlog / workers:.0f} s per worker "
          f"(shortest visibility timeout {shortest} s); messages waiting in a queue have no visibility clock: it "
          f"starts when a worker receives one, and the heartbeat extends it while the message waits for a slot")
    # The campaign report: the builder alone, then the whole read from the stack
    name = f"bench {workers}w"
    videos = campaign_videos(clients, name)
    t1 = time.perf_counter()
    built = build_campaign(name, videos)
    pure = time.perf_counter() - t1
    t2 = time.perf_counter()
    read = campaign_report(clients, name)
    whole = time.perf_counter() - t2
    storage = Storage(clients.s3, clients.names.bucket)
    exact = sum(round(b["screen_time_s"] * 1000) for j in finals.values() if j.status != FAILED
                for b in storage.get_json(layout.report_key(j.job_id))["brands"]) / 1000
    print(f"  campaign report of {read['totals']['videos']} video reports: builder {pure * 1000:.1f} ms, "
          f"read + build {whole * 1000:.0f} ms (goal <= 2 s); total screen time {built['totals']['screen_time_s']} s "
          f"(sum of the job reports {exact} s)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--videos", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=4.0)
    ap.add_argument("--workers", default="1,2", help="worker process counts to run, comma separated")
    args = ap.parse_args()
    from shared.stack.server import LocalStack

    print(f"brandvis campaign bench: {args.videos} videos of {args.seconds:g} s at {SIZE[0]}x{SIZE[1]}, 2 fps; "
          f"cores: {os.cpu_count()}, load average {os.getloadavg()[0]:.1f}")
    model = small_model()
    paths = make_videos(args.videos, args.seconds, model.bench.brands, model.bench.distractors)
    stack = LocalStack(Config(stack_port=0, data_dir=CACHE / "stack-unused"), persist=False).start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for n in (int(w) for w in args.workers.split(",")):
                run(stack, paths, args.seconds, n, model, Path(tmp))
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
