"""Hostile input, counted: the strategies of tests/test_hostile.py with many more examples per family,
then the media extremes (a ten-hour video's probe: time and peak memory, measured in a subprocess).

    .venv/bin/python bench/hostile.py [EXAMPLES] [--no-media]     # default 2000 per family

Prints "family: N inputs, K tracebacks" per family (docs/reliability.md quotes it), and for each
traceback its exception and where it was raised, once per distinct place. Exit status 1 if any.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter
from fractions import Fraction
from pathlib import Path

from hypothesis import HealthCheck, given, settings

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests import hostile_inputs  # noqa: E402


def run(family: hostile_inputs.Family, examples: int) -> tuple[int, Counter[str], dict[str, str]]:
    tried = 0
    places: Counter[str] = Counter()
    shown: dict[str, str] = {}

    @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(family.inputs)
    def probe(value: object) -> None:
        nonlocal tried
        tried += 1
        try:
            family.call(value)
        except family.allowed:
            pass
        except BaseException as exc:  # noqa: BLE001 - the point: count what escapes
            frame = traceback.extract_tb(exc.__traceback__)[-1]
            place = f"{type(exc).__name__} at {Path(frame.filename).name}:{frame.lineno}"
            places[place] += 1
            shown.setdefault(place, f"{str(exc)[:120]!r} from {repr(value)[:160]}")

    probe()
    return tried, places, shown


# Peak RSS: Linux's VmHWM (this process's own high-water mark); getrusage's ru_maxrss would do, but a
# child started from this big bench process inherits the parent's figure across fork and exec.
PROBE_IN_A_SUBPROCESS = """
import json, resource, sys, time
sys.path.insert(0, sys.argv[2])
from shared.media.probe import probe_video

def peak_mb():
    try:
        with open("/proc/self/status") as f:
            return next(int(l.split()[1]) for l in f if l.startswith("VmHWM:")) / 1024
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

before = peak_mb()
started = time.perf_counter()
info = probe_video(sys.argv[1])
print(json.dumps({"seconds": time.perf_counter() - started, "frames": info.frame_count,
                  "keyframes": len(info.keyframes), "duration_s": info.duration_s,
                  "rss_before_mb": before, "rss_peak_mb": peak_mb()}))
"""


def media() -> None:
    """Ten hours of 16x16 video at 25 fps (900,000 packets, a keyframe every 10 s), probed in a fresh
    process: its peak RSS before and after the probe."""
    from tests import media_factory

    root = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        path = media_factory.make_long(Path(tmp) / "ten-hours.mkv", seconds=36_000, fps=Fraction(25), gop=250)
        made = time.perf_counter() - started
        out = subprocess.run([sys.executable, "-c", PROBE_IN_A_SUBPROCESS, str(path), str(root)], check=True,
                             capture_output=True, text=True).stdout
        r = json.loads(out)
        print(f"ten-hour video (16x16, 25 fps, {path.stat().st_size / 1e6:.1f} MB, written in {made:.0f} s): probe "
              f"{r['seconds']:.1f} s, {r['frames']:,} frames counted, {r['keyframes']:,} keyframes, "
              f"{r['duration_s']:.0f} s long; peak RSS {r['rss_peak_mb']:.0f} MB "
              f"({r['rss_peak_mb'] - r['rss_before_mb']:.0f} MB over the process before probing)", flush=True)


def main() -> int:
    examples = int(next((a for a in sys.argv[1:] if a.isdigit()), 2000))
    failed = 0
    for family in hostile_inputs.families():
        started = time.perf_counter()
        tried, places, shown = run(family, examples)
        tracebacks = sum(places.values())
        failed += tracebacks
        print(f"{family.name}: {tried} inputs, {tracebacks} tracebacks ({time.perf_counter() - started:.0f} s)",
              flush=True)
        for place, n in places.most_common():
            print(f"    {n} x {place}: {shown[place]}")
    if "--no-media" not in sys.argv:
        media()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
