"""Hostile input, counted: the strategies of tests/test_hostile.py with many more examples per family.

    .venv/bin/python bench/hostile.py [EXAMPLES]     # default 2000 per family

Prints "family: N inputs, K tracebacks" per family (docs/reliability.md quotes it), and for each
traceback its exception and where it was raised, once per distinct place. Exit status 1 if any.
"""

from __future__ import annotations

import sys
import time
import traceback
from collections import Counter
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


def main() -> int:
    examples = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
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
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
