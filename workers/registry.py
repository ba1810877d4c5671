"""`@stage(...)`: a plain function becomes a stage handler; its policy sits on the decorator.

A handler is message in -> work -> `Result` out. It never sends, counts or sleeps: the runtime
sends `Result.messages`, counts the completion, turns `RetryLater` into a delayed re-send, and
enforces the policy declared here (visibility timeout, attempts, time limit).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable

from shared.messages import Message, VideoFacts
from shared.names import CONSUMERS, MAX_RECEIVES, STAGES


@dataclass
class Result:
    messages: list[Message] = field(default_factory=list)  # children to send
    expect: dict[str, int] = field(default_factory=dict)  # stage -> how many children it will count
    metrics: dict[str, int] = field(default_factory=dict)  # summed exactly once per message id
    video: VideoFacts | None = None  # what probe learned: stored on the job
    outputs: dict[str, Any] = field(default_factory=dict)  # merged into the job's outputs
    warnings: list[str] = field(default_factory=list)  # shown with the job, which still succeeds
    waiting: bool | None = None  # True: the job now waits on people (WAITING); False: they are done, it runs on


Handler = Callable[[Any, Any], "Result | None"]
Decoder = Callable[[str, Any], Message]  # (queue body, StageContext) -> message; raises MessageDecodeError


@dataclass(frozen=True)
class StageSpec:
    name: str
    fn: Handler
    visibility_timeout: int = 60  # seconds; the heartbeat keeps extending it while the handler runs
    max_attempts: int = MAX_RECEIVES  # receives before the job fails and SQS dead-letters the message
    time_limit: int = 900  # seconds one attempt may run; past it the attempt is abandoned and retried
    decode: Decoder | None = None  # for bodies that are not our messages (EventBridge events)
    isolate: bool = False  # run in a child process, so what the handler allocates is freed when it ends


_REGISTRY: dict[str, StageSpec] = {}


def stage(name: str, *, visibility_timeout: int = 60, max_attempts: int = MAX_RECEIVES,
          time_limit: int = 900, decode: Decoder | None = None, isolate: bool = False) -> Callable[[Handler], Handler]:
    if name not in STAGES and name not in CONSUMERS:
        raise ValueError(f"unknown stage {name!r}; declare it in shared/names.py")
    if not 1 <= max_attempts <= MAX_RECEIVES:
        raise ValueError(f"stage {name}: max_attempts must be 1..{MAX_RECEIVES} (the queues' redrive limit)")
    if time_limit < visibility_timeout:
        raise ValueError(f"stage {name}: time_limit {time_limit} s is shorter than its visibility timeout")

    def register(fn: Handler) -> Handler:
        _REGISTRY[name] = StageSpec(name, fn, visibility_timeout, max_attempts, time_limit, decode, isolate)
        return fn

    return register


def _load() -> None:
    importlib.import_module("workers.stages")
    importlib.import_module("workers.control")
    importlib.import_module("workers.events")


def implemented() -> list[str]:
    _load()
    return [s for s in STAGES + CONSUMERS if s in _REGISTRY]


def get_stage(name: str) -> StageSpec:
    _load()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"no handler for stage {name!r}; implemented: {', '.join(implemented())}") from None
