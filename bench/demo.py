"""Demo bench: the README walkthrough, measured against the demo's own truth.

    python bench/demo.py [--seconds 60] [--out DIR]

Runs what a newcomer runs, with the CLI's defaults: `brandvis demo-data DIR` (the command itself,
timed); a local model trained through the queues on DIR/labels/output.manifest; DIR/match.mp4
analysed with it at 2 fps (minimum confidence 0.5) by 2 worker processes, the way
bench/analysis.py drives train and analyze. Printed per brand: the screen time in the report, the
true screen time from DIR/truth.json and the error (goal: within 10 % per brand; a brand that
never shows must get 0 s).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.analysis import wait  # noqa: E402
from bench.media import _stop, _workers  # noqa: E402
from shared import layout  # noqa: E402
from shared.config import Config  # noqa: E402
from shared.jobs import SUCCEEDED, JobStore  # noqa: E402
from shared.messages import Sampling  # noqa: E402
from shared.models.store import ModelStore  # noqa: E402
from shared.storage import Storage  # noqa: E402
from shared.submit import Submitter  # noqa: E402


def table(report: dict, truth: dict) -> list[str]:
    """The comparison a newcomer makes: report screen time vs truth.json, per brand."""
    reported = {b["label"]: b["screen_time_s"] for b in report["brands"]}
    lines = ["| brand | reported s | true s | error |", "|---|---:|---:|---:|"]
    for label, true_s in truth["screen_time_s"].items():
        got = reported.get(label, 0.0)
        if true_s > 0:
            error = f"{100 * (got - true_s) / true_s:+.1f} %"
        else:
            error = "never shown: 0 s is right" if got == 0 else "never shown: all false"
        lines.append(f"| {label} | {got:.1f} | {true_s:.1f} | {error} |")
    for label in sorted(set(reported) - set(truth["screen_time_s"])):
        lines.append(f"| {label} (not a demo brand) | {reported[label]:.1f} | 0.0 | all false |")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=60.0, help="length of the demo clip")
    ap.add_argument("--out", type=Path, help="keep the demo data here (default: a temporary folder)")
    args = ap.parse_args()
    from shared.stack.server import LocalStack

    print(f"brandvis demo bench; cores: {os.cpu_count()}\n", flush=True)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        demo = args.out or tmp / "demo"
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "cli.main", "demo-data", str(demo), "--seconds", f"{args.seconds:g}"],
                       cwd=ROOT, check=True, stderr=subprocess.DEVNULL)
        print(f"brandvis demo-data: {args.seconds:g} s clip + labeled frames in {time.perf_counter() - t0:.1f} s",
              flush=True)
        truth = json.loads((demo / "truth.json").read_text())
        os.environ["BRANDVIS_CACHE_DIR"] = str(tmp / "cache")
        stack = LocalStack(Config(stack_port=0, data_dir=tmp / "stack"), persist=False).start()
        try:
            clients = stack.clients()
            store = JobStore(clients.dynamodb, clients.names.jobs_table)
            procs = _workers(2, stack.endpoint, tmp / "cache", tmp)
            try:
                t0 = time.perf_counter()
                job, mv = Submitter(clients).train(str(demo / "labels" / "output.manifest"), "logos")
                done = wait(store, job.job_id)
                assert done.status == SUCCEEDED, done.error
                mv = ModelStore(clients.dynamodb, clients.names.jobs_table).get_version("logos", mv.version)
                print(f"brandvis train demo/labels/output.manifest --name logos: {time.perf_counter() - t0:.1f} s, "
                      f"held-out F1 {mv.metrics['f1']:.2f}", flush=True)
                t0 = time.perf_counter()
                job = Submitter(clients).analyze(demo / "match.mp4", Sampling.at_fps(2), model="logos")
                done = wait(store, job.job_id)
                assert done.status == SUCCEEDED, done.error
                print(f"brandvis analyze demo/match.mp4 --model logos (2 fps): {time.perf_counter() - t0:.1f} s\n")
            finally:
                _stop(procs)
            report = Storage(clients.s3, clients.names.bucket).get_json(layout.report_key(job.job_id))
            (demo / "report.json").write_text(json.dumps(report))
        finally:
            stack.stop()
    print("\n".join(table(report, truth)))


if __name__ == "__main__":
    main()
