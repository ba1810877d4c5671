"""How long `brandvis --help` (and a command's help, and `--version`) takes to answer.

    python bench/cli.py [--runs 10] [--tree DIR]

Each is run `--runs` times as a fresh process; printed: the fastest wall time and the CPU time
(user + system) of that run. `--tree` runs another checkout's CLI (e.g. an older commit unpacked
with `git archive`), for a before/after figure on the same machine.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def once(args: list[str], tree: Path) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "cli.main", *args], cwd=tree, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(tree)})
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--tree", type=Path, default=ROOT)
    args = parser.parse_args()
    print(f"CLI at {args.tree}, best of {args.runs} runs")
    for command in (["--help"], ["train", "--help"], ["--version"]):
        try:
            runs = [once(command, args.tree) for _ in range(args.runs)]
        except subprocess.CalledProcessError:
            print(f"  brandvis {' '.join(command):14s} not supported here")
            continue
        wall, cpu = min(runs)
        print(f"  brandvis {' '.join(command):14s} {wall:.3f} s wall, {cpu:.3f} s CPU")


if __name__ == "__main__":
    main()
