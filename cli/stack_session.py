"""Reach the stack for one CLI command: the running one, or an embedded one for the command's life.

In local mode with no stack serving the data folder, the CLI starts the embedded stack itself
(same data folder, so state is shared with `make run`) and, when the command waits for a job, an
in-process worker too (each waiting command runs its own). Commands run at the same time share that stack (`shared.stack.sharing`):
the first one starts it, the others use it, and it stops when the last of them ends.
"""

from __future__ import annotations

import contextlib
import sys
from typing import Iterator

from shared.aws import Clients, make_clients
from shared.config import Config
from shared.stack.sharing import join, leave


@contextlib.contextmanager
def session(config: Config, run_workers: bool = False, quiet: bool = False) -> Iterator[Clients]:
    if not config.is_local:
        yield make_clients(config)
        return
    joined = join(config)
    if joined.stack is not None and not quiet:
        print(f"(no stack at {config.endpoint}: started an embedded one for this command, "
              f"data in {config.data_dir})", file=sys.stderr)
    elif joined.embedded and not quiet:
        print(f"(using the embedded stack another brandvis command started at {joined.config.endpoint})",
              file=sys.stderr)
    worker = None
    try:
        clients = make_clients(joined.config)
        if run_workers and joined.embedded:  # `make run`'s stack has workers of its own
            from workers.worker import Worker

            worker = Worker(clients, concurrency=2).start()
        yield clients
    finally:
        if worker is not None:
            worker.stop()
        leave(joined, lambda others: print(
            f"(keeping the embedded stack up for {len(others)} other brandvis command(s) still using it: "
            f"pid {', '.join(map(str, others))})", file=sys.stderr))
