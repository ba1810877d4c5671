"""Analysis bench: accuracy of the visibility report against known truth, and speed on an hour.

    python bench/analysis.py [--quick] [--only accuracy|speed]

1. **Accuracy.** A local model is trained through the queues from the generated benchmark's 60
   labeled frames (devtools/synth/benchmark.py, seed 7). Brand videos are generated with
   logos composited at known times, sizes and positions (devtools/synth/video.py: several
   brands, look-alike and unrelated distractors, short flashes, one brand absent), 1280x720,
   25 fps, and analysed at 2 fps by 2 worker processes. Printed per brand: true and reported
   screen time and the error; per video and overall: mean screen-time error (% of the true
   time; goal <= 5 %) and frame-level presence P/R/F1 at the sampled frames (goal F1 >= 0.9).
   Also printed, for comparison only: the same figures after two temporal filters (3-frame
   majority; lone frames below 0.8 confidence dropped) and with each frame on its own, identity
   not carried along tracks (BRANDVIS_IDENTITY_TRACKS=0). Two brand families (bench/models.py says how they differ): the
   typeset family's third video has no VOLTIX, only its rival's VOLTEK boards; for it, also the
   look-alikes reported as their brand (goal <= 2 % of their frames) and a text-only model made
   from the brand names alone, with no labeled frame.
2. **Speed.** A 5-minute 1280x720 H.264 brand video is looped (stream copy) to one hour and
   analysed at 1 fps with the model by 2 worker processes on this machine, each running its models
   on one thread (BRANDVIS_MODEL_THREADS=1, as the README advises). Printed: wall time,
   its ratio to the video's duration (goal <= 0.1), each stage's span and work, and the workers'
   peak RSS (goal < 1 GiB); then the peak RSS for 1080p videos of two lengths.
Videos are cached in bench/.cache.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from datetime import datetime
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import av  # noqa: E402

from bench.media import CACHE, _stop, _workers, video  # noqa: E402
from shared import layout  # noqa: E402
from shared.config import Config  # noqa: E402
from shared.jobs import SUCCEEDED, Job, JobStore  # noqa: E402
from shared.models.store import ModelStore  # noqa: E402
from shared.presence import WorkerPresence  # noqa: E402
from shared.messages import Sampling  # noqa: E402
from devtools.synth.benchmark import export_ground_truth, make_benchmark  # noqa: E402
from devtools.synth.scenes import photo_library  # noqa: E402
from devtools.synth.video import BrandVideo, make_brand_video  # noqa: E402
from shared.submit import Submitter  # noqa: E402
from shared.storage import Storage  # noqa: E402


def wait(store: JobStore, job_id: str) -> Job:
    while True:
        job = store.get_job(job_id)
        if job is not None and job.finished:
            return job
        time.sleep(0.1)


#: The videos each family is scored on: (seed, brands kept out, distractors shown for sure). The
#: typeset family's third video has no VOLTIX at all, only its rival's VOLTEK boards.
VIDEOS = {"procedural": [(1, (), ()), (2, (), ()), (3, (), ())],
          "typeset": [(1, (), ()), (2, (), ()), (3, ("Voltix",), ("lookalike-Voltek",))]}


def brand_videos(bench, family: str, seconds: float, photos, quick: bool,  # type: ignore[no-untyped-def]
                 first_seed: int = 1) -> list[BrandVideo]:
    """The family's 3 videos (seeds 1-3; bench/fusion.py tunes on the same kind from seed 4 on)."""
    out = []
    for seed, absent, shown in VIDEOS[family][:2 if quick else 3]:
        seed += first_seed - 1
        path = Path(tempfile.gettempdir()) / f"brandvis-bench-{family}-{seed}-{seconds:g}s.mp4"
        extra = {"min_frac": 0.03, "rotate": 12.0} if family == "typeset" else {}
        out.append(make_brand_video(path, bench.brands, bench.distractors, seconds=seconds, fps=25,
                                    size=(1280, 720), seed=seed, photos=photos, absent=absent, must_show=shown,
                                    **extra))
    return out


def smoothed(frames: list[set[str]]) -> list[set[str]]:
    """A brand counts in a frame when it is found in at least 2 of the 3 frames around it."""
    out = []
    for i in range(len(frames)):
        window = frames[max(0, i - 1):i + 2]
        out.append({b for b in set().union(*window) if sum(b in w for w in window) >= 2})
    return out


def without_lone_doubts(frames: list[dict], sure: float = 0.8) -> list[set[str]]:
    """Drop a brand from a frame when neither neighbour has it and its confidence is below `sure`."""
    found = [{lab["label"]: lab["confidence"] for lab in f["labels"]} for f in frames]
    out = []
    for i, here in enumerate(found):
        near = set(found[i - 1]) if i else set()
        near |= set(found[i + 1]) if i + 1 < len(found) else set()
        out.append({b for b, c in here.items() if b in near or c >= sure})
    return out


def lookalike_frames(report: dict, truth: BrandVideo, rivals: dict[str, str]) -> tuple[int, int]:
    """(sampled frames where a brand's look-alike is on screen and the brand is not, how many of
    those report the brand)."""
    shown = hit = 0
    for f in report["frames"]:
        found = {lab["label"] for lab in f["labels"]}
        for other in truth.others_at(f["t_s"]):
            brand = rivals.get(other)
            if brand is not None and brand not in truth.brands_at(f["t_s"]):
                shown += 1
                hit += brand in found
    return shown, hit


def score(report: dict, truth: BrandVideo, labels: list[str], smooth: str = "") -> dict:
    fps = report["video"]["sampled_fps"]
    found = [{lab["label"] for lab in f["labels"]} for f in report["frames"]]
    if smooth == "majority":
        found = smoothed(found)
    elif smooth == "lone":
        found = without_lone_doubts(report["frames"])
    times = [f["t_s"] for f in report["frames"]]
    tp = fp = fn = 0
    for t, got in zip(times, found):
        real = truth.brands_at(t)
        tp, fp, fn = tp + len(got & real), fp + len(got - real), fn + len(real - got)
    half = 1 / (2 * fps)
    rows = {}
    for label in labels:
        est = sum(min(truth.seconds, t + half) - max(0.0, t - half) for t, got in zip(times, found) if label in got)
        rows[label] = (truth.screen_time(label), est)
    return {"tp": tp, "fp": fp, "fn": fn, "rows": rows}


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p, r = tp / max(1, tp + fp), tp / max(1, tp + fn)
    return p, r, 2 * p * r / max(1e-9, p + r)


def train_model(clients, store: JobStore, bench, tmp: Path, name: str) -> None:  # type: ignore[no-untyped-def]
    manifest = export_ground_truth(bench.train, tmp / name)
    t0 = time.perf_counter()
    job, mv = Submitter(clients).train(str(manifest), name)
    done = wait(store, job.job_id)
    assert done.status == SUCCEEDED, done.error
    mv = ModelStore(clients.dynamodb, clients.names.jobs_table).get_version(name, mv.version)
    print(f"model {name}: local, trained through the queues on {len(bench.train)} labeled frames in "
          f"{time.perf_counter() - t0:.1f} s ({len(bench.brands)} brands, {len(bench.distractors)} distractors in "
          f"the footage, none labeled); held-out F1 {mv.metrics['f1']:.2f}")
    for label, t in (mv.texts or {}).items():
        print(f"  {label}: {t.get('says')}")


def forget_detections(clients, name: str) -> None:  # type: ignore[no-untyped-def]
    """Detections are cached per model version and floor: drop them to analyse again."""
    storage = Storage(clients.s3, clients.names.bucket)
    keys = [k for k in storage.list_keys("media/") if f"/detections/{name}/" in k]
    for i in range(0, len(keys), 1000):
        clients.s3.delete_objects(Bucket=storage.bucket, Delete={"Objects": [{"Key": k} for k in keys[i:i + 1000]]})


def analyse(clients, store: JobStore, videos: list[BrandVideo], model: str, labels: list[str],  # type: ignore[no-untyped-def]
            rivals: dict[str, str], title: str, variants: dict[str, str], detail: bool) -> list[str]:
    totals = {v: [0, 0, 0, [], 0, 0] for v in variants}
    in_range = [0, 0]  # present brands whose true time lies in the report's 95 % range; present brands with a range
    for v in videos:
        job = Submitter(clients).analyze(v.path, Sampling.at_fps(2), model=model)
        t0 = time.perf_counter()
        done = wait(store, job.job_id)
        assert done.status == SUCCEEDED, done.error
        report = Storage(clients.s3, clients.names.bucket).get_json(layout.report_key(job.job_id))
        ranges = {b["label"]: b.get("uncertainty") or {} for b in report["brands"]}
        if detail:
            print(f"{v.path.name}: {v.seconds:.0f} s, {len(v.events)} logo events, absent: {', '.join(v.absent)}; "
                  f"analysed in {time.perf_counter() - t0:.1f} s")
        for smooth in variants:
            s = score(report, v, labels, smooth)
            t = totals[smooth]
            t[0], t[1], t[2] = t[0] + s["tp"], t[1] + s["fp"], t[2] + s["fn"]
            shown, hit = lookalike_frames(report, v, rivals)
            t[4], t[5] = t[4] + shown, t[5] + hit
            errors = []
            for label, (true_s, est_s) in s["rows"].items():
                err = abs(est_s - true_s) / true_s if true_s > 0 else None
                if err is not None:
                    errors.append(err)
                    t[3].append(err)
                u = ranges.get(label, {})
                if not smooth and err is not None and u.get("low_s") is not None:
                    in_range[0] += u["low_s"] <= true_s <= u["high_s"]
                    in_range[1] += 1
                if not smooth and detail:
                    likely = (f"  likely {u['low_s']:.1f}-{u['high_s']:.1f} s" if u.get("low_s") is not None
                              else "  unverified" if u else "")
                    print(f"  {label:10s} true {true_s:6.1f} s  reported {est_s:6.1f} s  "
                          + (f"error {100 * err:5.1f} %" if err is not None else "(not on screen: any reported second is false)")
                          + likely)
            p, r, f1 = prf(s["tp"], s["fp"], s["fn"])
            if detail:
                print(f"  {variants[smooth]:30s} mean screen-time error {100 * sum(errors) / len(errors):5.1f} %   "
                      f"presence P {p:.2f} R {r:.2f} F1 {f1:.2f}")
    lines = []
    for smooth in variants:
        tp, fp, fn, errs, shown, hit = totals[smooth]
        p, r, f1 = prf(tp, fp, fn)
        name = f"{title}, {variants[smooth]}" + (" (not used)" if smooth else "")
        look = f"   look-alikes reported as the brand {100 * hit / shown:4.1f} % of {shown} frames" if shown else ""
        line = (f"{name:58s} mean screen-time error {100 * sum(errs) / len(errs):5.1f} %   "
                f"presence P {p:.2f} R {r:.2f} F1 {f1:.3f}{look}")
        print(line, flush=True)
        lines.append(line)
    line = (f"{title}: true screen time inside the report's 95 % range for {in_range[0]} of {in_range[1]} present "
            "brands with a range (docs/report.md, How sure is it)")
    print(line, flush=True)
    lines.append(line)
    return lines


def bench_accuracy(stack, tmp: Path, quick: bool, families: list[str]) -> str:  # type: ignore[no-untyped-def]
    clients = stack.clients()
    store = JobStore(clients.dynamodb, clients.names.jobs_table)
    photos = photo_library()
    summary = []
    for family in families:
        print(f"\n== {family} family", flush=True)
        bench = make_benchmark(seed=7, n_test=0, photos=photos, family=family)
        labels = [b.name for b in bench.brands]
        rivals = {d.name: d.imitates for d in bench.distractors if d.imitates}
        name = f"bench-{family}"
        procs = _workers(2, stack.endpoint, tmp / "cache", tmp)
        try:
            train_model(clients, store, bench, tmp, name)
        finally:
            _stop(procs)
        videos = brand_videos(bench, family, 30 if quick else 60, photos, quick)
        for tracks in ("1", "0"):
            os.environ["BRANDVIS_IDENTITY_TRACKS"] = tracks
            forget_detections(clients, name)
            procs = _workers(2, stack.endpoint, tmp / "cache", tmp)
            try:
                title = ("identity along tracks (shipped)" if tracks == "1"
                         else "each frame on its own (BRANDVIS_IDENTITY_TRACKS=0)")
                variants = {"": "report as is"} if tracks == "0" else {
                    "": "report as is", "majority": "3-frame majority smoothing", "lone": "lone frames < 0.8 dropped"}
                summary += analyse(clients, store, videos, name, labels, rivals, f"{family}: {title}", variants,
                                   detail=tracks == "1")
            finally:
                _stop(procs)
        os.environ.pop("BRANDVIS_IDENTITY_TRACKS", None)
        if family == "typeset":
            procs = _workers(2, stack.endpoint, tmp / "cache", tmp)
            try:
                job, _ = Submitter(clients).train_text(
                    ",".join(f"{b.name}={b.design['text']}" for b in bench.brands), "bench-text")
                assert wait(store, job.job_id).status == SUCCEEDED
                summary += analyse(clients, store, videos, "bench-text", labels, rivals,
                                   "typeset: text-only model (no labeled frame)", {"": "report as is"}, detail=True)
            finally:
                _stop(procs)
    print("\n" + "\n".join(summary))
    return "\n".join(summary)


def loop_video(src: Path, dst: Path, times: int) -> Path:
    """`src` played `times` times in a row, by stream copy (no re-encoding)."""
    if dst.exists():
        return dst
    part = dst.with_suffix(".part.mp4")
    with av.open(str(src)) as first:
        s = first.streams.video[0]
        span = int(round(first.duration / 1e6 / s.time_base)) if first.duration else None
    with av.open(str(part), "w") as out:
        for k in range(times):
            with av.open(str(src)) as inp:
                s_in = inp.streams.video[0]
                if k == 0:
                    s_out = out.add_stream_from_template(s_in)
                for packet in inp.demux(s_in):
                    if packet.dts is None:
                        continue
                    packet.pts += k * span
                    packet.dts += k * span
                    packet.stream = s_out
                    out.mux(packet)
    part.rename(dst)
    return dst


def run_with_workers(stack, path: Path, tmp: Path, fps: Fraction, model: str, n: int = 2) -> tuple[float, Job, list[float]]:  # type: ignore[no-untyped-def]
    clients = stack.clients()
    store = JobStore(clients.dynamodb, clients.names.jobs_table)
    requests = Submitter(clients)
    ref = requests.upload_video(path)
    logs = tmp / f"logs-{path.stem}"
    logs.mkdir(exist_ok=True)
    before = {w.worker_id for w in WorkerPresence(clients.dynamodb, clients.names.jobs_table).list_workers()}
    # Several workers sharing the machine each run their models on one thread (README: BRANDVIS_MODEL_THREADS)
    procs = _workers(n, stack.endpoint, tmp / "cache", logs, model_threads=1 if n > 1 else 0)
    try:
        while len([w for w in WorkerPresence(clients.dynamodb, clients.names.jobs_table).list_workers() if not w.stopped and w.worker_id not in before]) < n:
            time.sleep(0.05)
        t0 = time.perf_counter()
        job = requests.analyze(ref, Sampling.at_fps(fps), model=model)
        done = wait(store, job.job_id)
        elapsed = time.perf_counter() - t0
    finally:
        _stop(procs)
    assert done.status == SUCCEEDED, done.error
    rss = []
    for i in range(n):
        m = re.search(r"peak_rss_mb=(\d+)", (logs / f"worker-{n}-{i}.log").read_text())
        rss.append(float(m.group(1)) if m else float("nan"))
    return elapsed, done, rss


def _t(stamp: str | None) -> datetime | None:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")) if stamp else None


def bench_speed(stack, tmp: Path, quick: bool) -> None:  # type: ignore[no-untyped-def]
    bench = make_benchmark(seed=7, n_test=0, photos=[])
    minutes = 1 if quick else 5
    base = CACHE / f"brands_{minutes}min_720p.mp4"
    if not base.exists():
        print(f"  generating {base.name} ...", flush=True)
        make_brand_video(base.with_suffix(".part.mp4"), bench.brands, bench.distractors, seconds=60 * minutes,
                         fps=25, size=(1280, 720), seed=11).path.rename(base)
    times = 2 if quick else 12
    long = loop_video(base, CACHE / f"brands_{minutes * times}min_720p.mp4", times)
    with av.open(str(long)) as c:
        duration = c.duration / 1e6
    elapsed, job, rss = run_with_workers(stack, long, tmp, Fraction(1), "bench-procedural")
    print(f"\n{long.name}: {duration / 60:.0f} min 1280x720 H.264 at 1 fps, model bench-procedural, 2 worker processes")
    print(f"analysis wall time {elapsed:7.1f} s = {elapsed / duration:.3f} x the video's duration (goal <= 0.1)")
    created = _t(job.created_at)
    for stage in ("probe", "start-model", "extract", "detect", "sprite", "aggregate"):
        p = job.stages.get(stage)
        if p is None:
            continue
        start, end = _t(p.started_at), _t(p.finished_at)
        span = f"{(start - created).total_seconds():6.1f} s -> {(end - created).total_seconds():6.1f} s" \
            if start and end and created else "?"
        print(f"  {stage:12s} {p.done:4d} messages  from job start {span}   {p.metrics}")
    print(f"worker peak RSS {', '.join(f'{r:.0f}' for r in rss)} MiB (goal < 1024)")
    for m in ((1, 2) if quick else (1, 4)):
        hd = video(f"hd_{m}min_1080p.mp4", seconds=60 * m, fps=24, size=(1920, 1080), gop=48, bframes=False)
        _, _, rss = run_with_workers(stack, hd, tmp, Fraction(2), "bench-procedural", n=1)
        print(f"worker peak RSS, 1920x1080 {m} min at 2 fps with the model: {rss[0]:.0f} MiB (goal < 1024, flat)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="shorter videos, for a smoke run")
    ap.add_argument("--only", choices=("accuracy", "speed"))
    ap.add_argument("--family", choices=("procedural", "typeset"), action="append", help="accuracy: one family")
    args = ap.parse_args()
    CACHE.mkdir(parents=True, exist_ok=True)
    from shared.stack.server import LocalStack

    print(f"brandvis analysis bench{' (quick)' if args.quick else ''}; cores: {os.cpu_count()}\n")
    stack = LocalStack(Config(stack_port=0, data_dir=CACHE / "stack-unused"), persist=False).start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            os.environ["BRANDVIS_CACHE_DIR"] = str(Path(tmp) / "cache")
            if args.only == "speed":  # the speed run needs the model; train it quietly
                bench = make_benchmark(seed=7, n_test=0, photos=photo_library())
                clients = stack.clients()
                job, _ = Submitter(clients).train(str(export_ground_truth(bench.train, Path(tmp) / "l")), "bench-procedural")
                _w = _workers(1, stack.endpoint, Path(tmp) / "cache", Path(tmp))
                try:
                    assert wait(JobStore(clients.dynamodb, clients.names.jobs_table), job.job_id).status == SUCCEEDED
                finally:
                    _stop(_w)
            else:
                bench_accuracy(stack, Path(tmp), args.quick, args.family or ["procedural", "typeset"])
            if args.only != "accuracy":
                bench_speed(stack, Path(tmp), args.quick)
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
