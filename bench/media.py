"""Media bench: brandvis's probe/extract/sprite against the seed's ffprobe/ffmpeg commands.

    python bench/media.py            (or `make bench`)

On a generated 5-minute 1280x720 H.264 video with a keyframe every 250 frames (the seed's example:
24 fps, 7,200 frames) it prints
1. probe vs the seed's ffprobe command (goal >= 50x faster, same keyframe list);
2. keyframe extraction vs the seed's `ffmpeg -vf select=...` command (goal >= 20x faster);
3. 2 fps sampling + sprite tiles vs a plain `ffmpeg -i VIDEO -f null -` decode (goal <= 1.2x);
4. the analysis job through the queues on 4 segments with 2 worker processes vs 1;
5. worker peak RSS on 1080p videos of two lengths (goal < 1 GiB, flat with length).
Each timing is the best of a few runs; ratios come from the same run. The ffmpeg baselines are
skipped with a message when ffmpeg is not installed (`apt-get install ffmpeg`, bench only).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from shared.config import Config  # noqa: E402
from shared.media import sprites  # noqa: E402
from shared.media.extraction import extract_segment  # noqa: E402
from shared.media.frames import SegmentReader, to_bgr  # noqa: E402
from shared.media.images import encode_jpeg  # noqa: E402
from shared.media.probe import probe_video  # noqa: E402
from shared.media.segments import plan_segments  # noqa: E402
from shared.messages import Sampling  # noqa: E402
from tests.media_factory import make_video  # noqa: E402

CACHE = ROOT / "bench" / ".cache"
HAVE_FFMPEG = shutil.which("ffmpeg") is not None and shutil.which("ffprobe") is not None


def best_of(n: int, fn):  # type: ignore[no-untyped-def]
    times, result = [], None
    for _ in range(n):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def video(name: str, **kwargs) -> Path:  # type: ignore[no-untyped-def]
    path = CACHE / name
    if not path.exists():
        print(f"  generating {name} ...", flush=True)
        t0 = time.perf_counter()
        make_video(path.with_suffix(".part.mp4"), **kwargs)
        path.with_suffix(".part.mp4").rename(path)
        print(f"  generated in {time.perf_counter() - t0:.0f} s", flush=True)
    return path


# -- 1. probe --------------------------------------------------------------------------------
def seed_ffprobe(path: Path) -> dict:
    cmd = ["ffprobe", "-v", "quiet", "-select_streams", "v:0", "-show_entries",
           "stream=codec_name,codec_type,width,height,duration,bit_rate,nb_frames,r_frame_rate:"
           "frame=pict_type,coded_picture_number,best_effort_timestamp_time",
           "-read_intervals", "%+3600", "-of", "json", str(path)]
    return json.loads(subprocess.run(cmd, capture_output=True, check=True).stdout)


def bench_probe(path: Path) -> None:
    ours_s, info = best_of(5, lambda: probe_video(path))
    keyframes = [f["best_effort_timestamp_time"] for f in info.to_ffprobe()["frames"]]
    print(f"probe (brandvis, packets only)        {ours_s * 1000:8.1f} ms   {len(keyframes)} keyframes")
    if not HAVE_FFMPEG:
        print("probe (seed's ffprobe)                skipped: ffmpeg not installed")
        return
    theirs_s, doc = best_of(2, lambda: seed_ffprobe(path))
    theirs = [f["best_effort_timestamp_time"] for f in doc["frames"] if f["pict_type"] == "I"]
    print(f"probe (seed's ffprobe command)        {theirs_s * 1000:8.1f} ms   {len(theirs)} keyframes")
    print(f"  -> {theirs_s / ours_s:.0f}x faster (goal >= 50x); same keyframe list: {keyframes == theirs}")


# -- 2. keyframes ----------------------------------------------------------------------------
def ours_keyframes(path: Path, out: Path) -> int:
    info = probe_video(path)
    count = 0
    for seg in plan_segments(info, 1e9):
        for pick in SegmentReader(path, seg, Sampling.every_keyframe(), info.time_base, info.origin_pts,
                                  info.end_s, tiles=False).picks():
            (out / f"{pick.name}.jpg").write_bytes(encode_jpeg(to_bgr(pick.frame), 95))
            count += 1
    return count


def seed_keyframes(path: Path, out: Path, numbers: list[int]) -> int:
    select = "+".join(f"eq(n\\,{n})" for n in numbers)
    cmd = ["ffmpeg", "-v", "quiet", "-threads", "4", "-i", str(path), "-map", "0:v", "-vf", f"select='{select}'",
           "-vsync", "0", "-q:v", "2", str(out / "%d.jpg")]
    subprocess.run(cmd, check=True)
    return len(list(out.iterdir()))


def bench_keyframes(path: Path) -> None:
    numbers = [k.index for k in probe_video(path).keyframes]
    with tempfile.TemporaryDirectory() as tmp:
        ours_s, n = best_of(3, lambda: ours_keyframes(path, Path(tmp)))
    print(f"keyframes (brandvis, keyframe packets) {ours_s:8.2f} s    {n} JPEGs")
    if not HAVE_FFMPEG:
        print("keyframes (seed's ffmpeg select)      skipped: ffmpeg not installed")
        return
    with tempfile.TemporaryDirectory() as tmp:
        theirs_s, m = best_of(1, lambda: seed_keyframes(path, Path(tmp), numbers))
    print(f"keyframes (seed's ffmpeg select)      {theirs_s:8.2f} s    {m} JPEGs")
    print(f"  -> {theirs_s / ours_s:.0f}x faster (goal >= 20x)")


# -- 3. sampling + sprites vs decode ---------------------------------------------------------
def ours_sampling(path: Path, out: Path) -> tuple[int, int, int]:
    """What extract + sprite do, saving to a folder instead of S3: 2 fps JPEGs, tiles, sheets."""
    info = probe_video(path)
    samples, tiles, decoded = 0, {}, 0
    for seg in plan_segments(info, 1e9):
        reader = SegmentReader(path, seg, Sampling.at_fps(2), info.time_base, info.origin_pts, info.end_s)
        result = extract_segment(reader, lambda name, jpeg, _meta: (out / f"{name}.jpg").write_bytes(jpeg))
        samples += len(result.frames)
        tiles.update(result.tiles)
        decoded += result.frames_decoded
    layout = sprites.layout(info.end_s, info.display_width, info.display_height)
    for sheet in range(sprites.sheet_count(info.end_s)):
        image = sprites.compose_sheet(sprites.sheet_tiles(layout, sheet), tiles)
        (out / sprites.sprite_filename(sheet)).write_bytes(encode_jpeg(image, 85))
    (out / "thumbnails.vtt").write_text(sprites.webvtt(layout))
    return samples, len(tiles), decoded


def bench_sampling(path: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        ours_s, (n, tiles, decoded) = best_of(3, lambda: ours_sampling(path, Path(tmp)))
    print(f"2 fps + sprites (brandvis, one pass)   {ours_s:8.2f} s    {n} JPEGs, {tiles} tiles, "
          f"{decoded} of {probe_video(path).frame_count} frames decoded (the rest no pick shows or needs)")
    if not HAVE_FFMPEG:
        print("decode only (ffmpeg -f null)          skipped: ffmpeg not installed")
        return
    decode_s, _ = best_of(3, lambda: subprocess.run(["ffmpeg", "-v", "quiet", "-i", str(path), "-f", "null", "-"],
                                                    check=True))
    print(f"decode only (ffmpeg -i VIDEO -f null)  {decode_s:8.2f} s")
    print(f"  -> {ours_s / decode_s:.2f}x of decode alone (goal <= 1.2x)")


# -- 4 and 5. through the queues -------------------------------------------------------------
def _reset(endpoint: str) -> None:
    urllib.request.urlopen(urllib.request.Request(endpoint + "/moto-api/reset", method="POST")).read()


def _workers(n: int, endpoint: str, cache: Path, logs: Path, decode_threads: int = 0,
             model_threads: int = 0) -> list[subprocess.Popen]:
    env = {**os.environ, "BRANDVIS_ENDPOINT_URL": endpoint, "BRANDVIS_CACHE_DIR": str(cache),
           "BRANDVIS_POLL_WAIT_S": "1", "BRANDVIS_DECODE_THREADS": str(decode_threads),
           "BRANDVIS_MODEL_THREADS": str(model_threads)}
    procs = []
    for i in range(n):
        log = open(logs / f"worker-{n}-{i}.log", "wb")
        procs.append(subprocess.Popen([sys.executable, "-m", "cli.main", "worker", "--concurrency", "1"], cwd=ROOT,
                                      env=env, stdout=log, stderr=subprocess.STDOUT))
    return procs


def _stop(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        p.send_signal(signal.SIGTERM)
    for p in procs:
        p.wait(60)


def run_job(stack, path: Path, workers: int, segment_seconds: float, tmp: Path,  # type: ignore[no-untyped-def]
            decode_threads: int = 0) -> tuple[float, list[float], dict]:
    """Submit an analysis job and time it to SUCCEEDED with `workers` worker processes."""
    from shared.jobs import JobStore
    from shared.presence import WorkerPresence
    from shared.submit import Submitter
    from shared.stack.provision import provision

    _reset(stack.endpoint)
    clients = stack.clients()
    provision(clients)
    store = JobStore(clients.dynamodb, clients.names.jobs_table)
    requests = Submitter(clients)
    ref = requests.upload_video(path)
    procs = _workers(workers, stack.endpoint, tmp / "cache", tmp, decode_threads)
    try:
        while len([w for w in WorkerPresence(clients.dynamodb, clients.names.jobs_table).list_workers() if not w.stopped]) < workers:  # started and polling
            time.sleep(0.05)
        t0 = time.perf_counter()
        job = requests.analyze(ref, Sampling.at_fps(2), segment_seconds)
        while True:
            current = store.get_job(job.job_id)
            if current.finished:
                break
            time.sleep(0.05)
        elapsed = time.perf_counter() - t0
    finally:
        _stop(procs)
    assert current.status == "SUCCEEDED", current.error
    rss = []
    for i in range(workers):
        m = re.search(r"peak_rss_mb=(\d+)", (tmp / f"worker-{workers}-{i}.log").read_text())
        rss.append(float(m.group(1)) if m else float("nan"))
    return elapsed, rss, {s: (p.done, p.expected) for s, p in current.stages.items()}


def bench_workers(stack, path: Path) -> None:  # type: ignore[no-untyped-def]
    segment_seconds = probe_video(path).duration_s / 4
    with tempfile.TemporaryDirectory() as tmp:
        one, _, stages = run_job(stack, path, 1, segment_seconds, Path(tmp))
        two, _, _ = run_job(stack, path, 2, segment_seconds, Path(tmp))
        two_single, _, _ = run_job(stack, path, 2, segment_seconds, Path(tmp), decode_threads=1)
    n = stages["extract"][1]
    print(f"analysis job, {n} segments, 1 worker                     {one:8.2f} s")
    print(f"analysis job, {n} segments, 2 workers                    {two:8.2f} s   -> {one / two:.2f}x")
    print(f"analysis job, {n} segments, 2 workers, 1 decode thread   {two_single:8.2f} s   -> {one / two_single:.2f}x")
    print("  (one worker's frame-threaded decoder already keeps both cores busy)")


def bench_rss(stack, paths: list[Path]) -> None:  # type: ignore[no-untyped-def]
    for path in paths:
        info = probe_video(path)
        with tempfile.TemporaryDirectory() as tmp:
            elapsed, rss, _ = run_job(stack, path, 1, 30, Path(tmp))
        print(f"worker peak RSS, {info.width}x{info.height} {info.duration_s / 60:.0f} min at 2 fps  "
              f"{rss[0]:6.0f} MiB  (job {elapsed:.1f} s; goal < 1024 MiB, flat with length)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1-minute videos, for a smoke run")
    args = parser.parse_args()
    CACHE.mkdir(parents=True, exist_ok=True)
    minutes = 1 if args.quick else 5
    print("brandvis media bench" + (" (quick)" if args.quick else ""))
    seed_like = video(f"seed_{minutes}min_720p.mp4", seconds=60 * minutes, fps=24, size=(1280, 720), gop=250,
                      bframes=True, preset="veryfast")
    print(f"video: {seed_like.name}, 1280x720, 24 fps, keyframe every 250 frames; ffmpeg: "
          f"{'yes' if HAVE_FFMPEG else 'no'}; cores: {os.cpu_count()}\n")
    bench_probe(seed_like)
    bench_keyframes(seed_like)
    bench_sampling(seed_like)

    from shared.stack.server import LocalStack

    config = Config(stack_port=0, data_dir=CACHE / "stack-unused")
    stack = LocalStack(config, persist=False).start()
    try:
        bench_workers(stack, seed_like)
        hd = [video(f"hd_{m}min_1080p.mp4", seconds=60 * m, fps=24, size=(1920, 1080), gop=48, bframes=False)
              for m in ((1, 2) if args.quick else (1, 4))]
        bench_rss(stack, hd)
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
