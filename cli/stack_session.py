"""Reach the stack for one CLI command: the running one, or an embedded one for the command's life.

In local mode with nothing answering on the configured port, the CLI starts the embedded stack
itself (same data folder, so state is shared with `make run`) and, when the command waits for a
job, an in-process worker too; both stop when the command ends.
"""

from __future__ import annotations

import contextlib
import sys
from typing import Iterator

from shared.aws import Clients, make_clients
from shared.config import Config
from shared.stack.server import LocalStack, health


@contextlib.contextmanager
def session(config: Config, run_workers: bool = False, quiet: bool = False) -> Iterator[Clients]:
    if not config.is_local or health(config.endpoint or "") is not None:
        yield make_clients(config)
        return
    stack = LocalStack(config).start()
    if not quiet:
        print(f"(no stack at {config.endpoint}: started an embedded one for this command, "
              f"data in {config.data_dir})", file=sys.stderr)
    worker = None
    try:
        clients = stack.clients()
        if run_workers:
            from workers.worker import Worker

            worker = Worker(clients, concurrency=2).start()
        yield clients
    finally:
        if worker is not None:
            worker.stop()
        stack.stop()
