"""How many threads each model's ONNX Runtime session runs on, set once per process.

A worker process that shares a small machine with others does best with its share of the cores:
two worker processes on 2 cores detected 12 % more frames a second with one model thread each
than with two (their threads only took turns). `brandvis worker` sets it from
`BRANDVIS_MODEL_THREADS` before any model loads; 0 leaves each model its own choice.
"""

from __future__ import annotations

_threads = 0


def use_model_threads(n: int) -> None:
    global _threads
    _threads = max(0, int(n))


def model_threads(default: int) -> int:
    """The process's setting, or `default` (the model's own choice) when none is set."""
    return _threads or default
