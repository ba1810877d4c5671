"""`@stage(...)`: a plain function becomes a stage handler; its policy sits on the decorator.

A handler is message in -> work -> `Result` out. It never sends, counts or sleeps: the runtime
sends `Result.messages`, counts the completion, and turns `RetryLater` into a delayed re-send.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable

from shared.messages import Message
from shared.names import MAX_RECEIVES, STAGES


@dataclass
class Result:
    messages: list[Message] = field(default_factory=list)  # children to send
    expect: dict[str, int] = field(default_factory=dict)  # stage -> how many children it will count
    metrics: dict[str, int] = field(default_factory=dict)  # summed exactly once per message id
    facts: dict[str, Any] = field(default_factory=dict)  # merged into the job record
    warnings: list[str] = field(default_factory=list)  # shown with the job, which still succeeds


Handler = Callable[[Any, Any], "Result | None"]


@dataclass(frozen=True)
class StageSpec:
    name: str
    fn: Handler
    visibility_timeout: int = 60  # seconds; the heartbeat keeps extending it while the handler runs
    max_attempts: int = MAX_RECEIVES


_REGISTRY: dict[str, StageSpec] = {}


def stage(name: str, *, visibility_timeout: int = 60) -> Callable[[Handler], Handler]:
    if name not in STAGES:
        raise ValueError(f"unknown stage {name!r}; declare it in shared/names.py")

    def register(fn: Handler) -> Handler:
        _REGISTRY[name] = StageSpec(name=name, fn=fn, visibility_timeout=visibility_timeout)
        return fn

    return register


def implemented() -> list[str]:
    importlib.import_module("workers.stages")
    return [s for s in STAGES if s in _REGISTRY]


def get_stage(name: str) -> StageSpec:
    importlib.import_module("workers.stages")
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"no handler for stage {name!r}; implemented: {', '.join(implemented())}") from None


def override(name: str, fn: Handler) -> StageSpec:
    """Swap a handler (tests inject failures this way); returns the previous spec to restore."""
    previous = get_stage(name)
    _REGISTRY[name] = StageSpec(name=name, fn=fn, visibility_timeout=previous.visibility_timeout,
                                max_attempts=previous.max_attempts)
    return previous


def restore(spec: StageSpec) -> None:
    _REGISTRY[spec.name] = spec
