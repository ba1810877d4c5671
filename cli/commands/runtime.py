"""`brandvis worker` and `brandvis dashboard`: the long-running processes of the Procfile."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Optional

import typer

from cli.commands import config as load_config


def worker(stages: Optional[str] = typer.Option(None, metavar="STAGE,STAGE", help="Comma-separated stages (default: all implemented)."),
           concurrency: int = typer.Option(1, min=1, metavar="N", help="Messages processed at once.")) -> None:
    """Consume stage queues until SIGTERM/Ctrl-C (finishes the current messages, then stops)."""
    from shared.aws import make_clients
    from shared.stack.server import wait_until_ready
    from shared.submit import RequestError
    from shared.models.threads import use_model_threads
    from workers.middleware.log_context import configure_logging
    from workers.registry import implemented
    from workers.worker import Worker

    config = load_config()
    configure_logging(config.log_level, config.log_format)
    use_model_threads(config.model_threads)
    wanted = [s.strip() for s in stages.split(",")] if stages else None
    if wanted:
        unknown = [s for s in wanted if s not in implemented()]
        if unknown:
            raise RequestError(f"unknown stage(s) {', '.join(unknown)}; implemented: {', '.join(implemented())}")
    wait_until_ready(config, timeout_s=120)
    Worker(make_clients(config), stages=wanted, concurrency=concurrency).run_forever()


def dashboard() -> None:
    """Run the Streamlit dashboard (bound to BRANDVIS_DASHBOARD_ADDRESS, 127.0.0.1 by default)."""
    config = load_config()
    script = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"
    args = [sys.executable, "-m", "streamlit", "run", str(script), "--server.address", config.dashboard_address,
            "--server.port", str(config.dashboard_port), "--server.headless", "true", "--server.maxUploadSize",
            str(config.upload_max_mb), "--client.toolbarMode", "minimal", "--browser.gatherUsageStats", "false"]
    os.execv(sys.executable, args)


def register(app: typer.Typer) -> None:
    app.command()(worker)
    app.command()(dashboard)
