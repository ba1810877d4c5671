"""What happens when a stage's whole group is done, per kind of job (the chords of the workflow).

A flow reads the job record and returns a `Transition`: the next group of messages, or the
job's result. Like stages, flows never send or count; the fan-in middleware applies the result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from shared.jobs import Job
from shared.messages import Message


@dataclass
class Transition:
    messages: list[Message] = field(default_factory=list)
    expect: dict[str, int] = field(default_factory=dict)
    finish: dict[str, Any] | None = None  # the job's result: the job SUCCEEDS with it


Flow = Callable[[Job, str, Any], Transition]


def for_kind(kind: str) -> Flow:
    from workers.flows import analyze, control, train

    flows: dict[str, Flow] = {"analyze": analyze.on_group_complete, "train": train.on_group_complete,
                              "model": control.on_group_complete, "redrive": control.on_group_complete}
    try:
        return flows[kind]
    except KeyError:
        raise KeyError(f"no flow for jobs of kind {kind!r}") from None
