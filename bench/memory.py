"""Peak memory of one worker process that trains a model, then analyses videos with it.

    python bench/memory.py [--analyses 3] [--seconds 30] [--train 60]

A local stack and one `brandvis worker` run as their own processes, as `make run` starts them;
this script only submits requests (the demo-data training set, then generated 1280x720 videos
with the same brands) and reads the worker's /proc status after each job: VmHWM (peak resident
memory so far) and VmRSS (resident now). A worker is to stay under 1 GiB whatever it has run.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from shared.aws import make_clients  # noqa: E402
from shared.config import Config  # noqa: E402
from shared.jobs import JobStore  # noqa: E402
from shared.messages import Sampling  # noqa: E402
from shared.stack.server import wait_until_ready  # noqa: E402
from shared.submit import Submitter  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def memory_mib(pid: int) -> tuple[float, float]:
    """(peak, now) resident memory of process `pid`, MiB."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmHWM"].split()[0]) / 1024, int(fields["VmRSS"].split()[0]) / 1024


def wait_job(jobs: JobStore, job_id: str, timeout: float = 1800) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = jobs.get_job(job_id)
        if job is not None and job.finished:
            if job.status != "SUCCEEDED":
                raise SystemExit(f"job {job_id} {job.status}: {job.error}")
            return job.status
        time.sleep(0.5)
    raise SystemExit(f"job {job_id} did not finish in {timeout:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--analyses", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each analysed video")
    parser.add_argument("--train", type=int, default=60, help="labeled training frames")
    args = parser.parse_args()

    from devtools.synth.benchmark import export_ground_truth, make_benchmark
    from devtools.synth.video import make_brand_video

    work = Path(tempfile.mkdtemp(prefix="brandvis-memory-"))
    bench = make_benchmark(seed=7, n_train=args.train, n_test=0, photos=[])
    manifest = export_ground_truth(bench.train, work / "labels")
    videos = [make_brand_video(work / f"match{i}.mp4", bench.brands, bench.distractors, seconds=args.seconds,
                               size=(1280, 720), seed=2 + i).path for i in range(args.analyses)]

    config = Config(stack_port=free_port(), data_dir=work / "data", cache_dir=work / "cache")
    env = {**os.environ, "BRANDVIS_STACK_PORT": str(config.stack_port), "BRANDVIS_DATA_DIR": str(config.data_dir),
           "BRANDVIS_CACHE_DIR": str(config.cache_dir), "BRANDVIS_POLL_WAIT_S": "1"}
    env.pop("BRANDVIS_ENDPOINT_URL", None)
    logs = open(work / "processes.log", "wb")
    stack = subprocess.Popen([sys.executable, "-m", "cli.main", "stack", "up", "--no-persist"], cwd=ROOT, env=env,
                             stdout=logs, stderr=subprocess.STDOUT)
    worker = None
    try:
        wait_until_ready(config, timeout_s=120)
        worker = subprocess.Popen([sys.executable, "-m", "cli.main", "worker", "--concurrency", "2"], cwd=ROOT,
                                  env=env, stdout=logs, stderr=subprocess.STDOUT)
        clients = make_clients(config)
        jobs, submit = JobStore(clients.dynamodb, clients.names.jobs_table), Submitter(clients)
        print(f"worker pid {worker.pid}; {args.train} training frames, {args.analyses} analyses of "
              f"{args.seconds:g} s 1280x720 videos at 2 frames/s")
        started = time.perf_counter()
        job, _ = submit.train(str(manifest), "logos")
        wait_job(jobs, job.job_id)
        peak, now = memory_mib(worker.pid)
        print(f"after training ({time.perf_counter() - started:.0f} s):  peak {peak:6.0f} MiB   now {now:6.0f} MiB")
        for i, video in enumerate(videos, 1):
            started = time.perf_counter()
            job = submit.analyze(video, Sampling.at_fps(2), model="logos")
            wait_job(jobs, job.job_id)
            peak, now = memory_mib(worker.pid)
            print(f"after analysis {i} ({time.perf_counter() - started:.0f} s): peak {peak:6.0f} MiB   "
                  f"now {now:6.0f} MiB")
        print(f"worker peak resident memory: {peak:.0f} MiB ({'under' if peak < 1024 else 'OVER'} 1 GiB)")
    finally:
        for proc in (worker, stack):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
        logs.close()


if __name__ == "__main__":
    main()
