"""`brandvis train`, `brandvis models`, `brandvis start-model` / `stop-model`."""

from __future__ import annotations

from typing import Optional

import typer

from cli.commands import config as load_config
from cli.output import err, finish, out, print_version, status_text, wait


def train(manifest: str = typer.Argument(..., help="Ground Truth output manifest (JSON lines) or COCO JSON; path or s3://"),
          name: str = typer.Option(..., "--name", help="Model name; each training adds a version."),
          kind: Optional[str] = typer.Option(None, "--type", help="object (boxes) or concept (whole frame)."),
          backend: str = typer.Option("local", help="local (this machine's CPU) or rekognition (AWS)."),
          wait_: bool = typer.Option(False, "--wait", help="Show progress; exit 0 only if training succeeds.")) -> None:
    """Train a model version from a labeled manifest."""
    from cli.stack_session import session
    from shared.jobs import SUCCEEDED, JobStore
    from shared.models.store import ModelStore
    from shared.submit import Submitter

    config = load_config()
    with session(config.replace(poll_wait_s=1) if wait_ else config, run_workers=wait_) as clients:
        job, mv = Submitter(clients).train(manifest, name, kind, backend)
        err.print(f"job {job.job_id} queued: {name} version {mv.version} ({mv.type}, {backend}, "
                  f"{sum(mv.counts.values())} examples of {len(mv.labels)} labels)")
        if not wait_:
            print(job.job_id)
            return
        final = wait(JobStore(clients.dynamodb, clients.names.jobs_table), job.job_id)
        if final.status == SUCCEEDED:
            print_version(ModelStore(clients.dynamodb, clients.names.jobs_table).get_version(name, mv.version))
        finish(final)


def models(name: Optional[str] = typer.Argument(None, help="Only this model's versions.")) -> None:
    """List model versions: backend, status, examples, training time, evaluation."""
    from rich.table import Table

    from cli.stack_session import session
    from shared.models.store import ModelStore

    with session(load_config(), quiet=True) as clients:
        store = ModelStore(clients.dynamodb, clients.names.jobs_table)
        rows = store.list_versions(name) if name else store.list_all()
    table = Table(box=None)
    for col in ("model", "version", "backend", "type", "status", "running", "labels", "train s", "F1", "P", "R",
                "created"):
        table.add_column(col, no_wrap=col != "labels", overflow="fold")
    for v in rows:
        m = v.metrics or {}
        scores = [f"{m[key]:.2f}" if key in m else "–" for key in ("f1", "precision", "recall")]
        table.add_row(v.name, str(v.version), v.backend, v.type, status_text(v.status), v.deployment or "–",
                      ", ".join(v.labels), f"{v.training_seconds:.0f}" if v.training_seconds else "–", *scores,
                      v.created_at[:19].replace("T", " "))
    out.print(table if rows else "no models yet: `brandvis train MANIFEST --name NAME`")


def _deploy(name: str, version: Optional[int], start: bool, wait_: bool) -> None:
    from cli.stack_session import session
    from shared.jobs import JobStore
    from shared.models.store import ModelStore
    from shared.submit import RequestError, Submitter

    config = load_config()
    with session(config.replace(poll_wait_s=1) if wait_ else config, run_workers=wait_) as clients:
        if version is None:
            mv = ModelStore(clients.dynamodb, clients.names.jobs_table).get_version(name)
            if mv is None:
                raise RequestError(f"model {name} has no trained version")
            version = mv.version
        submit = Submitter(clients)
        job = submit.start_model(name, version) if start else submit.stop_model(name, version)
        err.print(f"job {job.job_id} queued: {'start' if start else 'stop'} {name} version {version}")
        if not wait_:
            print(job.job_id)
            return
        finish(wait(JobStore(clients.dynamodb, clients.names.jobs_table), job.job_id))


def start_model(name: str = typer.Argument(..., help="Model name."),
                model_version: Optional[int] = typer.Option(None, help="Version (default: the newest trained)."),
                wait_: bool = typer.Option(False, "--wait", help="Wait until it runs.")) -> None:
    """Start a model that runs elsewhere (Rekognition bills about US$4 per inference unit per hour from now)."""
    _deploy(name, model_version, True, wait_)


def stop_model(name: str = typer.Argument(..., help="Model name."),
               model_version: Optional[int] = typer.Option(None, help="Version (default: the newest trained)."),
               wait_: bool = typer.Option(False, "--wait", help="Wait until it has stopped.")) -> None:
    """Stop a started model (the workers also stop one that is idle for BRANDVIS_MODEL_IDLE_STOP_S)."""
    _deploy(name, model_version, False, wait_)


def register(app: typer.Typer) -> None:
    app.command()(train)
    app.command()(models)
    app.command("start-model")(start_model)
    app.command("stop-model")(stop_model)
