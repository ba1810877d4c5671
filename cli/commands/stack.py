"""`brandvis stack up|status`: the embedded local AWS stack."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from cli.commands import config as load_config
from cli.output import err, out

app = typer.Typer(no_args_is_help=True, help="The embedded local AWS stack.")


@app.command("up")
def stack_up(port: Optional[int] = typer.Option(None, metavar="PORT", help="Port (default BRANDVIS_STACK_PORT or 4599)."),
             data_dir: Optional[Path] = typer.Option(None, metavar="DIR", help="State folder (default BRANDVIS_DATA_DIR)."),
             no_persist: bool = typer.Option(False, "--no-persist", help="Keep nothing on disk.")) -> None:
    """Start the local stack in the foreground (Ctrl-C stops it; state is kept in the data folder)."""
    import signal
    import time

    from shared.stack.server import WORKERS_GRACE_S, LocalStack, StackError
    from workers.middleware.log_context import configure_logging

    config = load_config()
    if port is not None:
        config = config.replace(stack_port=port)
    if data_dir is not None:
        config = config.replace(data_dir=data_dir)
    if not config.is_local:
        raise StackError("BRANDVIS_MODE=aws: there is no local stack to start (terraform provisions AWS)")
    configure_logging(config.log_level, config.log_format)
    # The handler only appends: Event.set() in a handler can deadlock with the main thread inside
    # Event.wait() holding the same lock when the signal lands (a stack that then never stops).
    received: list[int] = []
    signal.signal(signal.SIGTERM, lambda signum, _frame: received.append(signum))
    signal.signal(signal.SIGINT, lambda signum, _frame: received.append(signum))
    stack = LocalStack(config, persist=not no_persist).start()
    err.print(f"local stack ready at {stack.endpoint} (data: {config.data_dir if not no_persist else 'not kept'})")
    while not received:
        time.sleep(0.2)
    stack.stop(workers_grace_s=WORKERS_GRACE_S)  # workers stopped beside it record that first
    err.print("local stack stopped; state saved")


@app.command("status")
def stack_status() -> None:
    """Say whether a local stack answers, and where its data lives."""
    from shared.stack.server import health

    config = load_config()
    state = health(config.endpoint or "") if config.is_local else None
    if not config.is_local:
        out.print(f"mode: aws (region {config.region}); no local stack is used")
    elif state is None:
        out.print(f"no local stack at {config.endpoint}")
        raise typer.Exit(1)
    else:
        out.print(f"local stack at {config.endpoint}: {'ready' if state.get('ready') else 'starting'}, "
                  f"pid {state.get('pid')}, data {state.get('data_dir') or 'not kept'}")
