"""`brandvis jobs`, `brandvis status`, `brandvis redrive`: what runs, and putting dead letters back."""

from __future__ import annotations

import json
from typing import Optional

import typer

from cli.choices import Stage
from cli.commands import config as load_config
from cli.output import err, finish, job_dict, labeling_line, out, status_text, wait


def jobs(limit: int = typer.Option(20, min=1, metavar="N", help="How many, newest first."),
         as_json: bool = typer.Option(False, "--json", help="Machine-readable: one object per job, as "
                                      "`status --json` gives.")) -> None:
    """List jobs with their status and progress (errors in full)."""
    from rich.markup import escape
    from rich.table import Table

    from cli.stack_session import session
    from shared.jobs import JobStore

    with session(load_config(), quiet=True) as clients:
        rows = JobStore(clients.dynamodb, clients.names.jobs_table).list_jobs(limit=limit)
    inputs = [str((j.request.get("video") or {}).get("name") or j.request.get("model") or j.request.get("stage", ""))
              for j in rows]
    if as_json:
        print(json.dumps([{**job_dict(j), "input": what} for j, what in zip(rows, inputs)], indent=1))
        return
    table = Table(box=None)
    table.add_column("job", no_wrap=True)
    table.add_column("kind", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("input", overflow="fold")
    table.add_column("created", no_wrap=True)
    table.add_column("error", overflow="fold", min_width=30)  # wrapped, never cut
    for j, what in zip(rows, inputs):
        table.add_row(j.job_id, j.kind, status_text(j.status), escape(what), j.created_at[:19].replace("T", " "),
                      escape(j.error or ""))
    out.print(table if rows else "no jobs yet")


def status(job_id: Optional[str] = typer.Argument(None, metavar="JOB", help="A job id from `brandvis jobs`; "
                                                   "without one, the workers."),
           as_json: bool = typer.Option(False, "--json", help="Machine-readable.")) -> None:
    """Show one job (per-stage progress, warnings, error, result), or the workers: running,
    stopping, stopped, or stale (no heartbeat for three intervals)."""
    from rich.markup import escape
    from rich.table import Table

    from cli.stack_session import session
    from shared.jobs import JobStore, counter_name, ordered_counters
    from shared.labeling.store import LabelStore, job_labeling
    from shared.submit import RequestError

    if job_id is None:
        workers_status(as_json)
        return
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
    table = Table("stage", "done", "expected", "started", "finished", box=None)
    table.add_column("last error", overflow="fold", min_width=30)  # wrapped, never cut
    for stage in ordered_counters(job):
        p = job.stages[stage]
        table.add_row(counter_name(job, stage), str(p.done), "?" if p.expected is None else str(p.expected),
                      (p.started_at or "")[11:19], (p.finished_at or "")[11:19], escape(p.last_error or ""))
    out.print(table)
    if labeling:
        out.print(labeling_line(job, labeling))
    for w in job.warnings:
        out.print(f"[yellow]warning:[/] {escape(w)}")
    if job.error:
        out.print(f"[red]error:[/] {escape(job.error)}")
    if job.result:
        out.print_json(json.dumps(job.result))


def workers_status(as_json: bool) -> None:
    from datetime import datetime, timezone

    from rich.table import Table

    from cli.stack_session import session
    from shared.presence import WorkerPresence

    with session(load_config(), quiet=True) as clients:
        seen = WorkerPresence(clients.dynamodb, clients.names.jobs_table).list_workers()
    now = datetime.now(timezone.utc)
    rows = [{"worker_id": w.worker_id, "host": w.host, "pid": w.pid, "stages": w.stages, "state": w.state(now),
             "last_seen": w.last_seen, "seen_s_ago": round(w.age_s(now), 1)} for w in seen]
    if as_json:
        print(json.dumps(rows, indent=1))
        return
    if not rows:
        out.print("no worker has reported yet: `make run` starts them, or `brandvis worker`")
        return
    table = Table("worker", "host", "pid", "state", "last seen", box=None)
    table.add_column("stages", overflow="fold")
    colour = {"running": "green", "stopping": "yellow", "stale": "red"}
    for r in rows:
        table.add_row(r["worker_id"], r["host"], str(r["pid"]), f"[{colour.get(r['state'], 'white')}]{r['state']}[/]",
                      f"{r['seen_s_ago']:.0f} s ago", ", ".join(r["stages"]))
    out.print(table)


def redrive(stage: Stage = typer.Argument(..., help="The stage whose dead letters go back to its queue."),
            wait_: bool = typer.Option(False, "--wait", help="Wait until the workers have moved them.")) -> None:
    """Ask the workers to move a stage's dead-lettered messages back to its queue and reopen their jobs."""
    from cli.stack_session import session
    from shared.jobs import JobStore
    from shared.submit import Submitter

    config = load_config()
    with session(config.replace(poll_wait_s=1) if wait_ else config, run_workers=wait_) as clients:
        job = Submitter(clients).redrive(stage.value)
        err.print(f"job {job.job_id} queued: redrive {stage}")
        if not wait_:
            print(job.job_id)
            return
        finish(wait(JobStore(clients.dynamodb, clients.names.jobs_table), job.job_id))


def register(app: typer.Typer) -> None:
    app.command()(jobs)
    app.command()(status)
    app.command()(redrive)
