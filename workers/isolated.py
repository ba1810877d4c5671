"""One attempt of an `isolate=True` stage in a child process, so that what the handler allocates
(training holds a model, its features and onnxruntime sessions) is the OS's again when it ends.

The child is a plain `python -m workers.isolated` process, not a multiprocessing one: spawn would
re-import the parent's `__main__` (a Streamlit page, a test runner, a bench script) in the child.
The request (stage, message body, config) goes in on stdin, the handler's Result or exception
comes back pickled in a file the parent names; the parent kills the child at the stage's time limit.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from workers.delivery import TimeLimitExceeded


class IsolatedCrash(RuntimeError):
    """The child ended without an answer (killed, out of memory, a crash in native code)."""


def run_isolated(stage_name: str, body: str, config: Any, time_limit_s: float) -> Any:
    with tempfile.TemporaryDirectory(prefix="brandvis-isolated-") as tmp:
        answer = Path(tmp) / "answer.pickle"
        try:
            proc = subprocess.run([sys.executable, "-m", "workers.isolated", str(answer)],
                                  input=pickle.dumps((stage_name, body, config)), stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, timeout=time_limit_s, env=os.environ.copy())
        except subprocess.TimeoutExpired:
            raise TimeLimitExceeded(f"{stage_name} ran past its time limit of {time_limit_s:g} s") from None
        if not answer.exists():
            tail = proc.stderr.decode(errors="replace").strip().splitlines()[-3:]
            raise IsolatedCrash(f"{stage_name}'s process ended with code {proc.returncode} and no answer"
                                + (f": {' | '.join(tail)}" if tail else ""))
        ok, value = pickle.loads(answer.read_bytes())
    if ok:
        return value
    raise value


def _main(answer: Path) -> None:
    from shared.aws import make_clients
    from shared.messages import decode
    from workers.context import StageContext
    from workers.registry import get_stage

    stage_name, body, config = pickle.loads(sys.stdin.buffer.read())
    ctx = StageContext.create(make_clients(config))
    spec = get_stage(stage_name)
    try:
        outcome: tuple[bool, Any] = (True, spec.fn(spec.decode(body, ctx) if spec.decode else decode(body), ctx))
    except Exception as exc:  # the parent raises it: retries and dead-lettering treat it as in-process
        outcome = (False, exc)
    try:
        data = pickle.dumps(outcome)
    except Exception as exc:  # an exception that cannot cross processes still names itself
        data = pickle.dumps((False, RuntimeError(f"{type(exc).__name__}: {exc}")))
    answer.write_bytes(data)


if __name__ == "__main__":
    _main(Path(sys.argv[1]))
