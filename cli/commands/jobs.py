"""`brandvis jobs`, `brandvis status`, `brandvis redrive`: what runs, and putting dead letters back."""

from __future__ import annotations

import json

import typer

from cli.commands import config as load_config
from cli.output import err, finish, job_dict, labeling_line, out, status_text, wait


def jobs(limit: int = typer.Option(20, help="How many, newest first.")) -> None:
    """List jobs with their status and progress."""
    from rich.table import Table

    from cli.stack_session import session
    from shared.jobs import JobStore

    with session(load_config(), quiet=True) as clients:
        rows = JobStore(clients.dynamodb, clients.names.jobs_table).list_jobs(limit=limit)
    table = Table(box=None)
    table.add_column("job", no_wrap=True)
    table.add_column("kind", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("input", overflow="fold")
    table.add_column("created", no_wrap=True)
    table.add_column("error", overflow="fold")
    for j in rows:
        what = (j.request.get("video") or {}).get("name") or j.request.get("model") or j.request.get("stage", "")
        table.add_row(j.job_id, j.kind, status_text(j.status), str(what), j.created_at[:19].replace("T", " "),
                      (j.error or "")[:80])
    out.print(table if rows else "no jobs yet")


def status(job_id: str = typer.Argument(..., help="A job id from `brandvis jobs`."),
           as_json: bool = typer.Option(False, "--json", help="Machine-readable.")) -> None:
    """Show one job: per-stage progress, warnings, error, result."""
    from rich.table import Table

    from cli.stack_session import session
    from shared.jobs import JobStore, counter_name, ordered_counters
    from shared.labeling.store import LabelStore, job_labeling
    from shared.submit import RequestError

    with session(load_config(), quiet=True) as clients:
        job = JobStore(clients.dynamodb, clients.names.jobs_table).get_job(job_id)
        labeling = job_labeling(LabelStore(clients.dynamodb, clients.names.jobs_table), job.outputs) if job else None
    if job is None:
        raise RequestError(f"no job {job_id}; `brandvis jobs` lists them")
    if as_json:
        print(json.dumps({**job_dict(job), "labeling": labeling}, indent=2))
        return
    out.print(f"job {job.job_id} ({job.kind}): {status_text(job.status)}")
    video = job.request.get("video", {}).get("name")
    if video:
        facts = job.video
        detail = f", {facts.duration_s} s, {facts.width}x{facts.height}" if facts else ""
        out.print(f"video: {video}{detail}")
    table = Table("stage", "done", "expected", "started", "finished", "last error", box=None)
    for stage in ordered_counters(job):
        p = job.stages[stage]
        table.add_row(counter_name(job, stage), str(p.done), "?" if p.expected is None else str(p.expected),
                      (p.started_at or "")[11:19], (p.finished_at or "")[11:19], (p.last_error or "")[:60])
    out.print(table)
    if labeling:
        out.print(labeling_line(job, labeling))
    for w in job.warnings:
        out.print(f"[yellow]warning:[/] {w}")
    if job.error:
        out.print(f"[red]error:[/] {job.error}")
    if job.result:
        out.print_json(json.dumps(job.result))


def redrive(stage: str = typer.Argument(..., help="The stage whose dead letters go back to its queue."),
            wait_: bool = typer.Option(False, "--wait", help="Wait until the workers have moved them.")) -> None:
    """Ask the workers to move a stage's dead-lettered messages back to its queue and reopen their jobs."""
    from cli.stack_session import session
    from shared.jobs import JobStore
    from shared.submit import Submitter

    config = load_config()
    with session(config.replace(poll_wait_s=1) if wait_ else config, run_workers=wait_) as clients:
        job = Submitter(clients).redrive(stage)
        err.print(f"job {job.job_id} queued: redrive {stage}")
        if not wait_:
            print(job.job_id)
            return
        finish(wait(JobStore(clients.dynamodb, clients.names.jobs_table), job.job_id))


def register(app: typer.Typer) -> None:
    app.command()(jobs)
    app.command()(status)
    app.command()(redrive)
