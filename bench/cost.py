"""Cost per hour of analysed video: brandvis on Fargate vs the AWS sample's Lambda + Rekognition.

    python bench/cost.py                 # from the last analysis bench's figures (below)
    python bench/cost.py --measure [--seconds 60]
                                         # measure: one worker process per worker group, started
                                         # with the task definitions' command lines, analyse a
                                         # generated 1280x720 video at 1 fps with a text model;
                                         # each process's CPU seconds (wait4 rusage) are scaled
                                         # to an hour of video

Prices are public list prices, us-east-1, Linux/x86 (check the pricing pages before relying on
them). What is measured and what is assumed is printed beside each line.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# -- public prices (us-east-1) ------------------------------------------------------------------
FARGATE_VCPU_H = 0.04048  # USD per vCPU-hour
FARGATE_GB_H = 0.004445  # USD per GB-hour
FARGATE_SPOT_DISCOUNT = 0.70  # Spot is "up to 70 %" off; the real discount varies by hour and zone
LAMBDA_GB_S = 0.0000166667  # USD per GB-second (x86)
LAMBDA_GB_PER_VCPU = 1.769  # Lambda gives one full vCPU at 1,769 MB
STEP_TRANSITION = 0.000025  # USD per Standard Workflows state transition
REKOGNITION_IU_H = 4.00  # USD per Custom Labels inference-unit hour
S3_PUT = 0.005 / 1000
S3_GET = 0.0004 / 1000
S3_GB_MONTH = 0.023
ALB_H = 0.0225  # plus LCUs, negligible for one dashboard

#: From the last analysis bench (2 cores): a 1-hour 1280x720 video at 1 fps with text evidence took
#: 299 s wall on 2 worker processes. Without --measure, CPU is bounded by wall x processes.
BENCH_WALL_S, BENCH_WORKERS = 299.0, 2


@dataclass
class Usage:
    """vCPU-seconds per hour of video, by worker group (media: probe/extract/sprite; the rest)."""
    media_cpu_s: float
    other_cpu_s: float
    source: str


def from_bench() -> Usage:
    total = BENCH_WALL_S * BENCH_WORKERS
    # Without the per-group split, the media share is taken as half (the measured run prints it).
    return Usage(total / 2, total / 2, f"upper bound: {BENCH_WALL_S:.0f} s wall x {BENCH_WORKERS} processes "
                                       "(last analysis bench, 720p hour, 1 fps); media share assumed 1/2")


def measure(seconds: float) -> Usage:
    """Run each worker group as its own process (the ECS command line) and read its CPU time."""
    from shared.config import Config
    from shared.jobs import JobStore
    from shared.messages import Sampling
    from shared.names import WORKER_GROUPS
    from shared.stack.server import LocalStack
    from shared.submit import Submitter
    from tests import media_factory

    tmp = Path(tempfile.mkdtemp(prefix="brandvis-cost-"))
    print(f"generating a {seconds:.0f} s 1280x720 video ...", flush=True)
    video = media_factory.make_video(tmp / "clip.mp4", seconds=seconds, fps=25, size=(1280, 720), gop=50)
    config = Config(stack_port=0, data_dir=tmp / "data", poll_wait_s=1)
    stack = LocalStack(config, persist=False).start()
    env = {**os.environ, "BRANDVIS_ENDPOINT_URL": stack.endpoint, "BRANDVIS_CACHE_DIR": str(tmp / "cache"),
           "BRANDVIS_POLL_WAIT_S": "1", "BRANDVIS_DECODE_THREADS": "1"}
    procs: dict[str, subprocess.Popen] = {}
    before: dict[str, float] = {}
    try:
        for group, queues in WORKER_GROUPS.items():
            log = open(tmp / f"{group}.log", "wb")
            procs[group] = subprocess.Popen([sys.executable, "-m", "cli.main", "worker", "--stages", ",".join(queues),
                                             "--concurrency", "1"], cwd=ROOT, env=env, stdout=log,
                                            stderr=subprocess.STDOUT)
        clients = stack.clients()
        store, submit = JobStore(clients.dynamodb, clients.names.jobs_table), Submitter(clients)
        job, _ = submit.train_text("Voltix=VOLTIX,Kestrel=KESTREL", "cost")
        _wait(store, job.job_id)
        time.sleep(2)  # let the workers settle after start-up and training; their CPU so far is not counted
        before = {g: _cpu_so_far(p.pid) for g, p in procs.items()}
        t0 = time.monotonic()
        job = submit.analyze(video, Sampling.at_fps(1), model="cost")
        _wait(store, job.job_id)
        print(f"analysed in {time.monotonic() - t0:.1f} s wall", flush=True)
    finally:
        cpu: dict[str, float] = {}
        for group, p in procs.items():
            p.send_signal(signal.SIGTERM)
        for group, p in procs.items():
            _, _, usage = os.wait4(p.pid, 0)
            cpu[group] = usage.ru_utime + usage.ru_stime - before.get(group, 0.0)
        stack.stop()
    per_hour = 3600.0 / seconds
    print("CPU seconds of the analysis (start-up and training excluded), per group:",
          ", ".join(f"{g} {c:.1f}" for g, c in cpu.items()), flush=True)
    media = cpu.pop("media")
    return Usage(media * per_hour, sum(cpu.values()) * per_hour,
                 f"measured: {seconds:.0f} s 720p at 1 fps, one process per worker group, scaled x{per_hour:.0f}")


def _cpu_so_far(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _wait(store, job_id: str, timeout: float = 1800) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = store.get_job(job_id)
        if job is not None and job.finished:
            if job.status != "SUCCEEDED":
                raise SystemExit(f"job {job_id} {job.status}: {job.error}")
            return
        time.sleep(0.5)
    raise SystemExit(f"job {job_id} did not finish in {timeout:.0f} s")


def report(u: Usage, frame_kb: float, gib_per_vcpu: float, model_hours: float) -> None:
    frames = 3600  # 1 fps
    vcpu_s = u.media_cpu_s + u.other_cpu_s
    print(f"\nper hour of analysed video ({u.source})")
    print(f"  worker vCPU-seconds: {vcpu_s:.0f} (media {u.media_cpu_s:.0f}, models + report {u.other_cpu_s:.0f})")

    # brandvis on Fargate: tasks of 1 vCPU / gib_per_vcpu GiB busy for the vCPU-seconds above
    fargate = vcpu_s / 3600 * (FARGATE_VCPU_H + gib_per_vcpu * FARGATE_GB_H)
    spot = u.media_cpu_s / 3600 * (FARGATE_VCPU_H + gib_per_vcpu * FARGATE_GB_H) * (1 - FARGATE_SPOT_DISCOUNT)
    spot += u.other_cpu_s / 3600 * (FARGATE_VCPU_H + gib_per_vcpu * FARGATE_GB_H)
    s3_gb = frames * frame_kb / 1024 / 1024
    s3 = frames * 1.05 * S3_PUT + frames * 2 * S3_GET + s3_gb * S3_GB_MONTH  # frames + sprites/detections; read twice
    print("\n  brandvis, local model on Fargate")
    print(f"    Fargate compute            ${fargate:7.3f}   (on-demand; ${spot:.3f} with media on Spot, "
          f"{FARGATE_SPOT_DISCOUNT:.0%} off assumed)")
    print(f"    S3 requests + 1 month      ${s3:7.3f}   ({frames} frames of ~{frame_kb:.0f} KB assumed, "
          f"{s3_gb:.2f} GB kept until media expiry)")
    print(f"    total                      ${fargate + s3:7.3f}")

    # brandvis with Rekognition Custom Labels: the same media work, the model billed while it runs
    rek = model_hours * REKOGNITION_IU_H
    media_only = u.media_cpu_s / 3600 * (FARGATE_VCPU_H + gib_per_vcpu * FARGATE_GB_H)
    print("\n  brandvis, Rekognition Custom Labels backend (Fargate media workers; idle stop after 15 min)")
    print(f"    Rekognition, 1 IU x {model_hours:.2f} h ${rek:7.3f}   (running time per video hour assumed: "
          "start-up + detection + idle stop)")
    print(f"    Fargate media + S3         ${media_only + s3:7.3f}")
    print(f"    total                      ${rek + media_only + s3:7.3f}")

    # the AWS sample: the same media work in Lambda (priced by GB-second; 1,769 MB = 1 vCPU),
    # Step Functions transitions per frame batch, and the model running for the analysis
    lam = u.media_cpu_s * LAMBDA_GB_PER_VCPU * LAMBDA_GB_S
    sfn = (frames / 10 + 60 + 20) * STEP_TRANSITION  # a transition per batch of 10 frames, per minute of sprites
    print("\n  AWS sample: Step Functions + Lambda + Rekognition Custom Labels")
    print(f"    Lambda (media work)        ${lam:7.3f}   (same CPU-seconds as brandvis's media group)")
    print(f"    Step Functions             ${sfn:7.3f}   (~{frames / 10 + 80:.0f} transitions assumed)")
    print(f"    Rekognition, 1 IU x {model_hours:.2f} h ${rek:7.3f}   (the sample never stops a model: more in practice)")
    print(f"    S3                         ${s3:7.3f}")
    print(f"    total                      ${lam + sfn + rek + s3:7.3f}")

    always_on = (1 * FARGATE_VCPU_H + 3 * FARGATE_GB_H) + (1 * FARGATE_VCPU_H + 2 * FARGATE_GB_H) + ALB_H
    print(f"\n  fixed, per hour of wall clock (not per video): models task kept for idle stop + dashboard + ALB "
          f"= ${always_on:.3f}/h (${always_on * 730:.0f}/month)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--measure", action="store_true", help="measure CPU seconds instead of the bench figures")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the measured video")
    parser.add_argument("--frame-kb", type=float, default=120.0, help="mean JPEG frame size (720p, quality 92)")
    parser.add_argument("--gib-per-vcpu", type=float, default=2.0, help="task memory per vCPU (variables.tf)")
    parser.add_argument("--model-hours", type=float, default=0.5,
                        help="hours a Rekognition model runs per hour of video (start-up, detection, idle stop)")
    args = parser.parse_args()
    usage = measure(args.seconds) if args.measure else from_bench()
    report(usage, args.frame_kb, args.gib_per_vcpu, args.model_hours)


if __name__ == "__main__":
    main()
